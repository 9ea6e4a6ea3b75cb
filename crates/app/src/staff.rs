//! The staff console's use cases that are about staff themselves: who may see or act on a parent
//! or a workshop, and the audit trail of what they did. The console calls the other modules'
//! use cases (booking, workshops, attendance, ...) for the actions themselves.

use pt4c_domain::ports::{
    Concern, CourseStore, ParentHistory, ParentRecord, ParentStore, PortError, ReferralStore, StaffStore, WorkshopStore,
};
use pt4c_domain::progress::{ParentProgress, ParentStatus};
use pt4c_domain::referral::surname_key;
use pt4c_domain::staff::{may_view_parent, AuditEntry, AuditOutcome, StaffMember, StaffRole};
use pt4c_domain::workshop::Workshop;
use pt4c_domain::{ParentId, ReferralId, WorkshopId};

use crate::App;

#[derive(Debug)]
pub enum Access {
    NotFound,
    /// The role may not; the attempt is audited.
    Forbidden,
    Unavailable(PortError),
}

impl From<PortError> for Access {
    fn from(e: PortError) -> Self {
        Access::Unavailable(e)
    }
}

/// What an action was about, for its audit entry.
#[derive(Debug, Clone, Default)]
pub struct About {
    pub parent_id: Option<ParentId>,
    pub workshop_id: Option<WorkshopId>,
}

impl About {
    pub fn parent(id: &ParentId) -> Self {
        Self { parent_id: Some(id.clone()), workshop_id: None }
    }
    pub fn workshop(id: &WorkshopId) -> Self {
        Self { parent_id: None, workshop_id: Some(id.clone()) }
    }
    pub fn both(parent: &ParentId, workshop: &WorkshopId) -> Self {
        Self { parent_id: Some(parent.clone()), workshop_id: Some(workshop.clone()) }
    }
}

/// Appends to the audit trail. A trail that cannot be written is an error the caller answers
/// (503): an action nobody can account for is not silently done.
pub async fn audit<S: StaffStore, B>(
    app: &App<S, B>,
    member: &StaffMember,
    action: &str,
    outcome: AuditOutcome,
    about: About,
) -> Result<(), PortError> {
    let entry = AuditEntry {
        at: app.now(),
        actor: member.sub.clone(),
        role: member.role,
        action: action.to_owned(),
        outcome,
        parent_id: about.parent_id,
        workshop_id: about.workshop_id,
    };
    let keep_until = entry.at + app.timings().retention;
    app.store.record_audit(&entry, keep_until).await.inspect_err(|e| {
        tracing::error!(action, outcome = outcome.as_str(), error = %e, "audit entry not written");
    })
}

/// Everything a parent's page shows.
#[derive(Debug, Clone)]
pub struct ParentPage {
    pub record: ParentRecord,
    pub progress: Option<ParentProgress>,
    pub case_number: String,
    pub court: String,
    pub adviser_name: String,
    pub adviser_email: String,
    pub workshop: Option<Workshop>,
    pub history: ParentHistory,
}

/// Trainers of the workshops a parent is booked on or last attended (or missed).
async fn trainers_of<S: WorkshopStore>(store: &S, record: &ParentRecord) -> Result<(Option<Workshop>, Vec<String>), PortError> {
    let mut current = None;
    let mut trainers = Vec::new();
    for (i, b) in [&record.booking, &record.last_workshop].into_iter().enumerate() {
        if let Some(b) = b {
            if let Some(w) = store.workshop(&b.workshop_id).await? {
                trainers.push(w.trainer.email.as_str().to_owned());
                if i == 0 {
                    current = Some(w);
                }
            }
        }
    }
    Ok((current, trainers))
}

/// A parent as this member may see them: a coordinator any parent, a trainer the parents on their
/// rosters, an adviser the parents of their cases. Every view is audited, and so is a refusal.
pub async fn parent_page<S, B>(app: &App<S, B>, member: &StaffMember, id: &ParentId, action: &str) -> Result<ParentPage, Access>
where
    S: ParentStore + WorkshopStore + CourseStore + StaffStore,
{
    let record = app.store.parent(id).await?.ok_or(Access::NotFound)?;
    let case = app.store.case_file(id.referral_id()).await?.ok_or(Access::NotFound)?;
    let (workshop, trainers) = trainers_of(&app.store, &record).await?;
    let trainers: Vec<&str> = trainers.iter().map(String::as_str).collect();
    if !may_view_parent(member, &trainers, case.family_court_adviser.email.as_str()) {
        audit(app, member, action, AuditOutcome::Forbidden, About::parent(id)).await?;
        return Err(Access::Forbidden);
    }
    let history = app.store.parent_history(id).await?;
    let progress = case.record.parents.iter().find(|p| &p.parent_id == id).cloned();
    Ok(ParentPage {
        record,
        progress,
        case_number: case.case_number,
        court: case.court.name.clone(),
        adviser_name: case.family_court_adviser.name.clone(),
        adviser_email: case.family_court_adviser.email.as_str().to_owned(),
        workshop,
        history,
    })
}

/// A parent as a list shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedParent {
    pub parent_id: ParentId,
    pub name: String,
    pub status: ParentStatus,
}

/// The parents of a referral this member may open ([`parent_page`]'s rule), in the referral's
/// order; none when there is no such referral. A list names only those the member may see, so
/// it is not audited as a view.
pub async fn parents_of_referral<S, B>(app: &App<S, B>, member: &StaffMember, id: &ReferralId) -> Result<Vec<ListedParent>, PortError>
where
    S: ParentStore + WorkshopStore + CourseStore,
{
    let Some(case) = app.store.case_file(id).await? else { return Ok(Vec::new()) };
    let adviser = case.family_court_adviser.email.as_str();
    let mut listed = Vec::new();
    for p in &case.record.parents {
        // Only a trainer's view depends on the parent's workshops: read them for trainers alone.
        let trainers = if member.role == StaffRole::Trainer {
            let Some(record) = app.store.parent(&p.parent_id).await? else { continue };
            trainers_of(&app.store, &record).await?.1
        } else {
            Vec::new()
        };
        let trainers: Vec<&str> = trainers.iter().map(String::as_str).collect();
        if may_view_parent(member, &trainers, adviser) {
            let name = case.names.get(&p.parent_id).cloned().unwrap_or_default();
            listed.push(ListedParent { parent_id: p.parent_id.clone(), name, status: p.status });
        }
    }
    Ok(listed)
}

/// Parents found by name, only those this member may open ([`parents_of_referral`]'s rule): the
/// last word of `q` is the surname (found by its lookup, never a scan); with more words, the first
/// must be the parent's first name too, in any case ("alex" finds "Alex" and "Alex Jo"). A list, so
/// not audited as a view.
pub async fn parents_named<S, B>(app: &App<S, B>, member: &StaffMember, q: &str) -> Result<Vec<ListedParent>, PortError>
where
    S: ReferralStore + ParentStore + WorkshopStore + CourseStore,
{
    let words: Vec<&str> = q.split_whitespace().collect();
    let Some(surname) = words.last().copied().and_then(surname_key) else { return Ok(Vec::new()) };
    let first = (words.len() > 1).then(|| words[0].to_lowercase());
    let mut visible: std::collections::HashMap<ReferralId, Vec<ListedParent>> = std::collections::HashMap::new();
    let mut listed = Vec::new();
    for id in app.store.parents_named(&surname).await? {
        let referral = id.referral_id();
        if !visible.contains_key(referral) {
            let parents = parents_of_referral(app, member, referral).await?;
            visible.insert(referral.clone(), parents);
        }
        let Some(parent) = visible[referral].iter().find(|p| p.parent_id == id) else { continue };
        if let Some(first) = &first {
            let Some(record) = app.store.parent(&id).await? else { continue };
            if record.first_name.split_whitespace().next().map(str::to_lowercase).as_ref() != Some(first) {
                continue;
            }
        }
        listed.push(parent.clone());
    }
    Ok(listed)
}

/// A workshop this member may see: any for a coordinator, their own for a trainer, none for an adviser.
pub async fn workshop_for<S: WorkshopStore + StaffStore, B>(
    app: &App<S, B>,
    member: &StaffMember,
    id: &WorkshopId,
    action: &str,
) -> Result<Workshop, Access> {
    let workshop = app.store.workshop(id).await?.ok_or(Access::NotFound)?;
    if may_see_workshop(member, &workshop) {
        Ok(workshop)
    } else {
        audit(app, member, action, AuditOutcome::Forbidden, About::workshop(id)).await?;
        Err(Access::Forbidden)
    }
}

pub fn may_see_workshop(member: &StaffMember, workshop: &Workshop) -> bool {
    match member.role {
        StaffRole::Coordinator => true,
        StaffRole::Trainer => member.is(workshop.trainer.email.as_str()),
        StaffRole::Cafcass | StaffRole::Public => false,
    }
}

/// A concern as the console lists it: with the parent's name.
#[derive(Debug, Clone)]
pub struct ListedConcern {
    pub concern: Concern,
    pub parent_name: String,
}

/// How many concerns the list shows (a longer history is on each parent's page).
const CONCERNS_LISTED: usize = 100;

/// Concerns raised since `since`, newest first, about parents this member may open.
pub async fn recent_concerns<S, B>(app: &App<S, B>, member: &StaffMember, since: jiff::Timestamp) -> Result<Vec<ListedConcern>, PortError>
where
    S: ParentStore + WorkshopStore + CourseStore + StaffStore,
{
    let concerns = app.store.recent_concerns(since, CONCERNS_LISTED).await?;
    let mut visible: std::collections::HashMap<ReferralId, Vec<ListedParent>> = std::collections::HashMap::new();
    let mut listed = Vec::new();
    for concern in concerns {
        let referral = concern.parent_id.referral_id().clone();
        if !visible.contains_key(&referral) {
            let parents = parents_of_referral(app, member, &referral).await?;
            visible.insert(referral.clone(), parents);
        }
        if let Some(p) = visible[&referral].iter().find(|p| p.parent_id == concern.parent_id) {
            listed.push(ListedConcern { parent_name: p.name.clone(), concern });
        }
    }
    Ok(listed)
}
