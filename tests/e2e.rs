//! Every end-to-end test, one module per capability, in one test binary. Each test spawns a whole
//! local stack of its own over the AWS stand-in (`support`, the harness) and drives it as its
//! users do.

mod booking;
mod console;
mod coordinators;
mod deadlines;
mod delivery;
mod local_stack;
mod parent_hub;
mod referral_intake;
mod reports;
mod sms;
mod staff_sign_in;
mod welcome_email;
