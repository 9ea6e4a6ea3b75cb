//! The application layer's use cases over the in-memory adapters: each flow as a parent, a
//! trainer, Cafcass or the daily sweep drives it, in milliseconds.

mod harness;

mod arrangements;
mod attendance;
mod booking;
mod concerns_and_follow_ups;
mod delivery;
mod elearning;
mod forecast;
mod hub;
mod moves;
mod new_link;
mod notices;
mod offering;
mod referrals;
mod reporting;
mod seat_races;
mod sweep;
mod texting;
mod waiting_list;
mod workshop_edits;
mod workshops;
