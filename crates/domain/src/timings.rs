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
    /// Not activated this long after the welcome: activation-reminder.
    pub activation_reminder: SignedDuration,
    /// E-learning not complete this long after the welcome: elearning-reminder.
    pub elearning_reminder: SignedDuration,
    /// E-learning complete and no booking this long after: booking-reminder.
    pub booking_reminder: SignedDuration,
    /// This long before a booked workshop starts: workshop-reminder.
    pub workshop_reminder: SignedDuration,
    /// Days before `completeBy`, not yet booked: deadline-warning.
    pub deadline_warning_days: i64,
    /// A follow-up call is due this long after the workshop.
    pub follow_up: SignedDuration,
    /// A parent booked on a workshop before the court's date is not reported as not completed
    /// until this long after it ends, so the trainer can record attendance.
    pub attendance_grace: SignedDuration,
    /// A seat offered from the waiting list is held this long...
    pub offer_hold: SignedDuration,
    /// ...and never past this long before the workshop starts.
    pub offer_cutoff: SignedDuration,
    /// An interpreter or adjustment still to arrange this long before the start is flagged.
    pub task_flag: SignedDuration,
    /// The capacity forecast looks this many weeks ahead...
    pub forecast_weeks: i64,
    /// ...and tells coordinators of a shortfall within this many days.
    pub forecast_alert_days: i64,
    /// Requests for a new link by email address (`/new-link`) one address may make in a day
    /// (Europe/London), known or not.
    pub new_link_requests_per_address: u32,
    /// ...and one client (its IP address) in an hour.
    pub new_link_requests_per_client: u32,
    /// The answer to such a request is given no sooner than this after it began, so a known
    /// and an unknown address take the same time.
    pub new_link_answer_floor: SignedDuration,
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            activation_link: SignedDuration::from_hours(72),
            link_validity: SignedDuration::from_hours(30 * 24),
            retention: SignedDuration::from_hours(365 * 24),
            activation_reminder: SignedDuration::from_hours(48),
            elearning_reminder: SignedDuration::from_hours(7 * 24),
            booking_reminder: SignedDuration::from_hours(7 * 24),
            workshop_reminder: SignedDuration::from_hours(48),
            deadline_warning_days: 14,
            follow_up: SignedDuration::from_hours(42 * 24),
            attendance_grace: SignedDuration::from_hours(3 * 24),
            offer_hold: SignedDuration::from_hours(24),
            offer_cutoff: SignedDuration::from_hours(12),
            task_flag: SignedDuration::from_hours(72),
            forecast_weeks: 8,
            forecast_alert_days: 21,
            new_link_requests_per_address: 3,
            new_link_requests_per_client: 20,
            new_link_answer_floor: SignedDuration::from_millis(300),
        }
    }
}
