//! A coordinator's edit of a published workshop (PATCH /workshops/{workshopId}): the fields that
//! may change, parsed as publishing parses them, and the workshop after the edit.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::{
    check_capacity, check_duration, parse_interpreters, parse_location, parse_starts_at, parse_trainer, Trainer, Workshop, WorkshopRequest,
};
use crate::FieldError;

/// The fields an edit may name; any other is refused.
pub const EDIT_FIELDS: &[&str] = &["startsAt", "durationMinutes", "location", "capacity", "trainer", "interpreters"];

/// What an edit changes: each field it names (a field absent or null is kept).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkshopEdit {
    pub starts_at: Option<Timestamp>,
    pub duration_minutes: Option<i64>,
    pub location: Option<String>,
    /// Not below the seats taken: a condition of the store's write, not of the parse.
    pub capacity: Option<u32>,
    pub trainer: Option<Trainer>,
    /// The languages an interpreter is booked for, all of them (an empty list: none).
    pub interpreters: Option<Vec<String>>,
}

/// The trainer an edit replaced, and the edit (its sequence) that replaced them: the consumer of
/// that edit's event tells them, and only that one (a later trainer change replaces this record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviousTrainer {
    pub replaced_at: u32,
    pub trainer: Trainer,
}

impl WorkshopEdit {
    /// Parses a coordinator's edit, naming every bad field. `mode` and `language` are not the
    /// edit's (the caller refuses them as unknown fields).
    pub fn parse(req: WorkshopRequest, now: Timestamp) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let starts_at = req.starts_at.as_deref().and_then(|t| parse_starts_at(t, now, &mut errors));
        if let Some(d) = req.duration_minutes {
            check_duration(d, &mut errors);
        }
        let location = req.location.as_deref().and_then(|l| parse_location(l, &mut errors));
        if let Some(c) = req.capacity {
            check_capacity(c, &mut errors);
        }
        let trainer = req.trainer.and_then(|t| parse_trainer(t, &mut errors));
        let interpreters = req.interpreters.and_then(|i| parse_interpreters(i, &mut errors));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            starts_at,
            duration_minutes: req.duration_minutes,
            location,
            capacity: req.capacity.map(|c| c as u32),
            trainer,
            interpreters,
        })
    }

    /// The workshop after this edit, its sequence bumped; `None` when it changes nothing (an
    /// edit that names only what the workshop already is, or nothing).
    pub fn apply(&self, w: &Workshop) -> Option<Workshop> {
        let mut after = w.clone();
        if let Some(t) = self.starts_at {
            after.starts_at = t;
        }
        if let Some(d) = self.duration_minutes {
            after.duration_minutes = d;
        }
        after.ends_at = after.starts_at + SignedDuration::from_mins(after.duration_minutes);
        if let Some(l) = &self.location {
            after.location = l.clone();
        }
        if let Some(c) = self.capacity {
            after.capacity = c;
        }
        if let Some(t) = &self.trainer {
            after.trainer = t.clone();
        }
        if let Some(i) = &self.interpreters {
            after.interpreters = i.clone();
        }
        if &after == w {
            return None;
        }
        after.sequence = w.sequence + 1;
        if after.trainer != w.trainer {
            after.previous_trainer = Some(PreviousTrainer { replaced_at: after.sequence, trainer: w.trainer.clone() });
        }
        Some(after)
    }
}

impl Workshop {
    /// Whether the edit that made this workshop (its `sequence`) replaced the trainer.
    pub fn trainer_changed_by(&self, sequence: u32) -> Option<&Trainer> {
        self.previous_trainer.as_ref().filter(|p| p.replaced_at == sequence).map(|p| &p.trainer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workshop::{Mode, TrainerRequest, WorkshopStatus};

    fn now() -> Timestamp {
        "2026-11-22T09:00:00Z".parse().unwrap()
    }

    fn workshop() -> Workshop {
        let starts_at: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        Workshop {
            workshop_id: crate::WorkshopId::parse("00000000-0000-4000-8000-000000000001").unwrap(),
            starts_at,
            ends_at: starts_at + SignedDuration::from_mins(150),
            duration_minutes: 150,
            mode: Mode::Online,
            location: "https://meet.example/x".into(),
            capacity: 6,
            language: "en".into(),
            interpreters: Vec::new(),
            trainer: Trainer { name: "Tess".into(), email: crate::referral::EmailAddress::parse("tess@pt4c.example").unwrap() },
            status: WorkshopStatus::Open,
            seats_taken: 2,
            sequence: 0,
            previous_trainer: None,
            booked_cases: vec![],
        }
    }

    fn edit(json: serde_json::Value) -> Result<WorkshopEdit, Vec<FieldError>> {
        WorkshopEdit::parse(serde_json::from_value(json).unwrap(), now())
    }

    #[test]
    fn an_edit_names_every_bad_field_as_publishing_does() {
        let bad = edit(serde_json::json!({
            "startsAt": "2026-11-01T10:00:00Z", "durationMinutes": 5, "location": "a\u{0}b", "capacity": 7,
            "trainer": {"name": "T"}
        }))
        .unwrap_err();
        let fields: Vec<_> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["startsAt", "durationMinutes", "location", "capacity", "trainer.email"]);
        assert_eq!(edit(serde_json::json!({"capacity": 0})).unwrap_err()[0].field, "capacity");
    }

    #[test]
    fn given_a_new_start_when_applied_then_the_end_follows_and_the_sequence_is_bumped() {
        let e = edit(serde_json::json!({"startsAt": "2026-12-02T09:30:00.5Z"})).unwrap();
        let after = e.apply(&workshop()).expect("a change");
        assert_eq!(after.starts_at, "2026-12-02T09:30:00Z".parse().unwrap(), "to the second");
        assert_eq!(after.ends_at, "2026-12-02T12:00:00Z".parse().unwrap());
        assert_eq!((after.sequence, after.previous_trainer.clone()), (1, None));
        let shorter = edit(serde_json::json!({"durationMinutes": 90})).unwrap().apply(&after).unwrap();
        assert_eq!((shorter.ends_at, shorter.sequence), ("2026-12-02T11:00:00Z".parse().unwrap(), 2));
    }

    #[test]
    fn given_a_new_trainer_when_applied_then_the_one_replaced_is_kept_with_the_edits_sequence() {
        let w = Workshop { sequence: 3, ..workshop() };
        let e = WorkshopEdit {
            trainer: parse_trainer(TrainerRequest { name: Some("Sam".into()), email: Some("sam@pt4c.example".into()) }, &mut Vec::new()),
            ..Default::default()
        };
        let after = e.apply(&w).unwrap();
        assert_eq!(after.trainer.name, "Sam");
        assert_eq!(after.trainer_changed_by(4).map(|t| t.name.as_str()), Some("Tess"));
        assert_eq!(after.trainer_changed_by(3), None);
        let later = edit(serde_json::json!({"location": "Room 2"})).unwrap().apply(&after).unwrap();
        assert_eq!((later.sequence, later.trainer_changed_by(5)), (5, None), "a later edit that keeps the trainer tells nobody new");
    }

    #[test]
    fn given_an_edit_that_changes_nothing_when_applied_then_there_is_no_change() {
        assert_eq!(edit(serde_json::json!({})).unwrap().apply(&workshop()), None);
        assert_eq!(edit(serde_json::json!({"capacity": 6, "location": "https://meet.example/x"})).unwrap().apply(&workshop()), None);
    }
}
