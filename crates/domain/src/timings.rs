use jiff::SignedDuration;

/// The course's durations (rules.md). Configuration, with the rules' defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timings {
    /// The welcome link activates the account within this window.
    pub activation_link: SignedDuration,
    /// Every later email's link is valid this long after sending.
    pub link_validity: SignedDuration,
    /// Personal data is erased this long after a referral closes.
    pub retention: SignedDuration,
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            activation_link: SignedDuration::from_hours(72),
            link_validity: SignedDuration::from_hours(30 * 24),
            retention: SignedDuration::from_hours(365 * 24),
        }
    }
}
