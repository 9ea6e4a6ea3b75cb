//! Staff: the people who run the course, their roles (the user pool's groups), and the audit
//! trail of what they did. No I/O.

use serde::{Deserialize, Serialize};

/// A staff member's role: the Cognito group they are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Everything; manages staff accounts.
    Coordinator,
    /// Their own workshops and the parents on their rosters.
    Trainer,
    /// A Family Court Adviser: read-only, the referrals they advise on.
    Cafcass,
    /// Not staff: someone on a public page (a parent asking for a new link by email address).
    /// Only audit entries name it; it is no group, so nobody signs in with it.
    Public,
}

impl StaffRole {
    pub const ALL: [StaffRole; 3] = [StaffRole::Coordinator, StaffRole::Trainer, StaffRole::Cafcass];

    /// The group's name in the user pool.
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Coordinator => "coordinator",
            StaffRole::Trainer => "trainer",
            StaffRole::Cafcass => "cafcass",
            StaffRole::Public => "public",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The strongest role among a person's groups (a coordinator who is also a trainer acts as a
    /// coordinator). None when no group is a role: such a person has no access.
    pub fn of_groups<'a>(groups: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let roles: Vec<StaffRole> = groups.into_iter().filter_map(Self::parse).collect();
        Self::ALL.into_iter().find(|r| roles.contains(r))
    }
}

/// The signed-in person, as the verified ID token says. `sub` is the stable id audit entries name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub sub: String,
    pub email: String,
    pub name: String,
    pub role: StaffRole,
}

impl StaffMember {
    /// Staff and trainers are matched by email address, compared without case.
    pub fn is(&self, email: &str) -> bool {
        self.email.eq_ignore_ascii_case(email.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strongest_role_wins_and_other_groups_give_none() {
        assert_eq!(StaffRole::of_groups(["trainer", "coordinator"]), Some(StaffRole::Coordinator));
        assert_eq!(StaffRole::of_groups(["cafcass"]), Some(StaffRole::Cafcass));
        assert_eq!(StaffRole::of_groups(["admins"]), None);
        assert_eq!(StaffRole::of_groups([]), None);
    }
}

/// What a staff member did (or tried to do). Names the action and ids only: never names,
/// addresses or free text, so the trail can be shown and kept without holding personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub at: jiff::Timestamp,
    /// The staff member's stable id (the user pool's `sub`).
    pub actor: String,
    pub role: StaffRole,
    /// e.g. `parent.view`, `workshop.publish`, `booking.move`.
    pub action: String,
    pub outcome: AuditOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<crate::ParentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workshop_id: Option<crate::WorkshopId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// Done, or shown.
    Done,
    /// Refused by a rule (e.g. the workshop was full); nothing changed.
    Refused,
    /// The role may not do it (answered 403).
    Forbidden,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Done => "done",
            AuditOutcome::Refused => "refused",
            AuditOutcome::Forbidden => "forbidden",
        }
    }
}

/// A console session: a sign-in under way (between Cognito's challenges) or a signed-in person.
/// Kept server-side; the browser holds only a random id, so signing out ends it for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsoleSession {
    pub state: SessionState,
    /// Every form of this session carries it.
    pub csrf: String,
    pub created_at: jiff::Timestamp,
    pub last_seen: jiff::Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum SessionState {
    /// Cognito asked for another step; its session string carries the sign-in on.
    Challenge {
        email: String,
        step: ChallengeStep,
        cognito_session: String,
        /// The authenticator key to show while setting one up.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret: Option<String>,
    },
    SignedIn {
        member: StaffMember,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeStep {
    NewPassword,
    SetUpAuthenticator,
    Code,
}

/// How long a console session lasts: 30 minutes idle, 10 hours in all; a sign-in under way, 3
/// minutes (Cognito's own session for a challenge lasts that long).
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle: jiff::SignedDuration,
    pub absolute: jiff::SignedDuration,
    pub challenge: jiff::SignedDuration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            idle: jiff::SignedDuration::from_mins(30),
            absolute: jiff::SignedDuration::from_hours(10),
            challenge: jiff::SignedDuration::from_mins(3),
        }
    }
}

impl ConsoleSession {
    /// Still good at `now`: within the idle and absolute limits (a challenge within its own).
    pub fn live_at(&self, now: jiff::Timestamp, limits: &SessionLimits) -> bool {
        match self.state {
            SessionState::Challenge { .. } => now < self.created_at + limits.challenge,
            SessionState::SignedIn { .. } => now < self.last_seen + limits.idle && now < self.created_at + limits.absolute,
        }
    }

    /// When the store may forget it (its TTL).
    pub fn expires_at(&self, limits: &SessionLimits) -> jiff::Timestamp {
        match self.state {
            SessionState::Challenge { .. } => self.created_at + limits.challenge,
            SessionState::SignedIn { .. } => self.created_at + limits.absolute,
        }
    }

    /// Seen again: worth writing down only once a minute, so browsing is not a write per page.
    pub fn needs_touch(&self, now: jiff::Timestamp) -> bool {
        now >= self.last_seen + jiff::SignedDuration::from_mins(1)
    }

    pub fn member(&self) -> Option<&StaffMember> {
        match &self.state {
            SessionState::SignedIn { member } => Some(member),
            SessionState::Challenge { .. } => None,
        }
    }
}

/// A parent the dashboard shows as needing attention: something is due for them soon (a
/// reminder, a warning, their court's date). Read from the due-index, so the list costs what it
/// shows, never the number of parents on the course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentDue {
    pub parent_id: crate::ParentId,
    pub name: String,
    pub status: crate::progress::ParentStatus,
    pub invited_at: jiff::Timestamp,
    pub complete_by: jiff::civil::Date,
    pub due_at: jiff::Timestamp,
}

/// Why a parent needs attention, as a coordinator reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attention {
    /// Invited, the Hub never set up, past the link's 72 hours.
    LinkNeverUsed,
    /// The Hub set up, the e-learning not finished.
    ElearningStalled,
    /// The e-learning done, no workshop booked.
    WaitingToBook,
    /// Booked, or otherwise on their way: a reminder is all that is due.
    OnTrack,
}

impl ParentDue {
    pub fn attention(&self, now: jiff::Timestamp, activation_link: jiff::SignedDuration) -> Attention {
        use crate::progress::ParentStatus::*;
        match self.status {
            Invited if now >= self.invited_at + activation_link => Attention::LinkNeverUsed,
            Activated | ElearningStarted => Attention::ElearningStalled,
            ElearningCompleted | DidNotAttend => Attention::WaitingToBook,
            _ => Attention::OnTrack,
        }
    }
}

/// Who may see a parent: a coordinator always; a trainer when one of the parent's workshops is
/// theirs; a Family Court Adviser when they advise on the parent's referral.
pub fn may_view_parent(member: &StaffMember, trainers_of_parent: &[&str], adviser_email: &str) -> bool {
    match member.role {
        StaffRole::Coordinator => true,
        StaffRole::Trainer => trainers_of_parent.iter().any(|t| member.is(t)),
        StaffRole::Cafcass => member.is(adviser_email),
        StaffRole::Public => false,
    }
}

#[cfg(test)]
mod session_tests {
    use super::*;
    use jiff::{SignedDuration, Timestamp};

    fn member(role: StaffRole) -> StaffMember {
        StaffMember { sub: "s-1".into(), email: "Pat@Example.org".into(), name: "Pat".into(), role }
    }

    fn signed_in(created: Timestamp, last_seen: Timestamp) -> ConsoleSession {
        ConsoleSession {
            state: SessionState::SignedIn { member: member(StaffRole::Trainer) },
            csrf: "c".into(),
            created_at: created,
            last_seen,
        }
    }

    #[test]
    fn a_session_ends_after_30_idle_minutes_or_10_hours_in_all() {
        let t0: Timestamp = "2026-11-30T09:00:00Z".parse().unwrap();
        let limits = SessionLimits::default();
        let s = signed_in(t0, t0);
        assert!(s.live_at(t0 + SignedDuration::from_mins(29), &limits));
        assert!(!s.live_at(t0 + SignedDuration::from_mins(30), &limits));
        let busy = signed_in(t0, t0 + SignedDuration::from_mins(599));
        assert!(busy.live_at(t0 + SignedDuration::from_mins(599), &limits));
        assert!(!busy.live_at(t0 + SignedDuration::from_mins(600), &limits));
    }

    #[test]
    fn a_sign_in_under_way_lasts_three_minutes() {
        let t0: Timestamp = "2026-11-30T09:00:00Z".parse().unwrap();
        let s = ConsoleSession {
            state: SessionState::Challenge { email: "a@b.c".into(), step: ChallengeStep::Code, cognito_session: "x".into(), secret: None },
            csrf: "c".into(),
            created_at: t0,
            last_seen: t0,
        };
        assert!(s.live_at(t0 + SignedDuration::from_secs(179), &SessionLimits::default()));
        assert!(!s.live_at(t0 + SignedDuration::from_secs(180), &SessionLimits::default()));
        assert!(s.member().is_none());
    }

    #[test]
    fn a_parent_needs_attention_for_a_link_never_used_stalled_e_learning_or_no_booking() {
        use crate::progress::ParentStatus;
        let t0: Timestamp = "2026-11-30T09:00:00Z".parse().unwrap();
        let due = |status| ParentDue {
            parent_id: crate::ParentId::parse("R-1.A").unwrap(),
            name: "Alex".into(),
            status,
            invited_at: t0,
            complete_by: jiff::civil::date(2027, 1, 29),
            due_at: t0,
        };
        let link = SignedDuration::from_hours(72);
        assert_eq!(due(ParentStatus::Invited).attention(t0 + SignedDuration::from_hours(71), link), Attention::OnTrack);
        assert_eq!(due(ParentStatus::Invited).attention(t0 + SignedDuration::from_hours(72), link), Attention::LinkNeverUsed);
        assert_eq!(due(ParentStatus::ElearningStarted).attention(t0, link), Attention::ElearningStalled);
        assert_eq!(due(ParentStatus::ElearningCompleted).attention(t0, link), Attention::WaitingToBook);
        assert_eq!(due(ParentStatus::WorkshopBooked).attention(t0, link), Attention::OnTrack);
    }

    #[test]
    fn trainers_see_their_rosters_parents_and_advisers_their_cases() {
        let trainer = member(StaffRole::Trainer);
        assert!(may_view_parent(&trainer, &["pat@example.org"], "fca@cafcass.example"));
        assert!(!may_view_parent(&trainer, &["sam@example.org"], "pat@example.org"));
        let fca = member(StaffRole::Cafcass);
        assert!(may_view_parent(&fca, &[], "PAT@example.org"));
        assert!(!may_view_parent(&fca, &["pat@example.org"], "fca@cafcass.example"));
        assert!(may_view_parent(&member(StaffRole::Coordinator), &[], "x@y.z"));
    }
}
