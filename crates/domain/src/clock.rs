use jiff::Timestamp;

/// Where the domain asks for "now", so tests and the local stack can move time.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        to_the_second(Timestamp::now())
    }
}

/// Times are kept to the second: records read cleanly, and stored keys sort as text.
pub fn to_the_second(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}
