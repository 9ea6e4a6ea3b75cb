//! The contract of the store's ports (`pt4c_domain::ports`): the rules the DynamoDB adapter
//! (`pt4c_adapters::dynamo::DynamoStore`) keeps with its conditions and transactions, each case
//! over a table of its own, reached through the real SDK. By default the table is in dynoxide, in
//! process (`pt4c-emulator`), whose stream gives back every image written. With
//! `PT4C_STORE_ENDPOINT` set (`http://127.0.0.1:5055`, a moto server, or any DynamoDB) the same
//! cases run there, each on a new table (region eu-west-2, credentials testing/testing); there is
//! no stream, so the checks of the history of writes are skipped, with a note (`needs_history!`).

#[macro_use]
mod harness;

mod booking;
mod course;
mod notices;
mod parents;
mod referrals;
mod sweep;

use harness::*;
use jiff::{SignedDuration, Timestamp};
use pt4c_adapters::dynamo::DynamoStore;
use pt4c_domain::ports::{ParentRecord, ReferralStore};
use pt4c_domain::workshop::{Workshop, WorkshopStatus};
use pt4c_domain::ParentId;
