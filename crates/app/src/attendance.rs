//! Attendance: the trainer records whether each booked parent came.

use pt4c_domain::ports::{AttendanceOutcome, CourseStore, EventPublisher, Outbox, ParentStore, PortError, WorkshopStore};
use pt4c_domain::progress::ParentStatus;
use pt4c_domain::workshop::BookingRefusal;
use pt4c_domain::ParentId;
use serde::Serialize;

use crate::App;
use pt4c_domain::WorkshopId;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttendanceView {
    pub workshop_id: WorkshopId,
    pub parent_id: ParentId,
    pub attended: bool,
    pub status: ParentStatus,
}

#[derive(Debug)]
pub enum AttendanceRefusal {
    NoWorkshop,
    NoParent,
    Rule(BookingRefusal),
    /// The parent left the course (not completed by the court's date, or withdrawn): no booking is held.
    ParentClosed(ParentStatus),
    /// Recorded the other way and no longer changeable (a parent who attended has completed).
    Conflict,
    Unavailable(PortError),
}

impl From<PortError> for AttendanceRefusal {
    fn from(e: PortError) -> Self {
        AttendanceRefusal::Unavailable(e)
    }
}

/// Records whether a booked parent attended. Attended: the parent has completed (and the referral
/// too once every parent has), a follow-up call is owed. Absent: the parent may book again.
pub async fn record<S: WorkshopStore + ParentStore + CourseStore + Outbox, B: EventPublisher>(
    app: &App<S, B>,
    workshop_id: &WorkshopId,
    parent_id: &ParentId,
    attended: bool,
) -> Result<AttendanceView, AttendanceRefusal> {
    let now = app.now();
    let workshop = app.store.workshop(workshop_id).await?.ok_or(AttendanceRefusal::NoWorkshop)?;
    let parent = app.store.parent(parent_id).await?.ok_or(AttendanceRefusal::NoParent)?;
    let (attendance, event) = parent.attend(&workshop, attended, now, app.timings()).map_err(AttendanceRefusal::Rule)?;
    let event = app.event(event);
    match app.store.record_attendance(&parent, &attendance, &event).await? {
        AttendanceOutcome::Recorded => {
            tracing::info!(parent_id = %parent_id, workshop_id = %workshop_id, attended, "attendance recorded");
            app.publish_committed(&event).await;
        }
        AttendanceOutcome::AlreadyRecorded => {}
        AttendanceOutcome::NotBooked => return Err(AttendanceRefusal::Rule(BookingRefusal::NotBooked)),
        AttendanceOutcome::ParentClosed(status) => return Err(AttendanceRefusal::ParentClosed(status)),
        AttendanceOutcome::Conflict => return Err(AttendanceRefusal::Conflict),
    }
    if attended {
        // Also on a replay: finishes a close cut off after the attendance was written.
        crate::referrals::close(app, parent_id.referral_id()).await?;
    }
    Ok(AttendanceView {
        workshop_id: workshop_id.clone(),
        parent_id: parent_id.clone(),
        attended,
        status: if attended { ParentStatus::Completed } else { ParentStatus::DidNotAttend },
    })
}
