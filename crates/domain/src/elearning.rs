//! The e-learning catalogue: the modules a parent completes before booking a workshop.

use jiff::Timestamp;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Module {
    pub module_id: crate::ModuleId,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Catalogue {
    pub modules: Vec<Module>,
}

pub const DEFAULT_CATALOGUE: &str = "going-to-court=Going to court;managing-emotions=Managing emotions;\
how-separation-affects-children=How separation affects children;childs-point-of-view=Your child's point of view";

impl Default for Catalogue {
    fn default() -> Self {
        Self::parse(DEFAULT_CATALOGUE).expect("the default catalogue parses")
    }
}

impl Catalogue {
    /// `id=Title;id=Title`: ids are lower-case words joined by '-'.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut modules = Vec::new();
        for entry in s.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, title) = entry.split_once('=').ok_or_else(|| format!("{entry:?} is not id=Title"))?;
            let id = crate::ModuleId::parse(id.trim()).map_err(|_| format!("{:?} is not a module id", id.trim()))?;
            if modules.iter().any(|m: &Module| m.module_id == id) {
                return Err(format!("{id:?} is listed twice"));
            }
            modules.push(Module { module_id: id, title: title.trim().to_owned() });
        }
        if modules.is_empty() {
            return Err("the catalogue has no modules".into());
        }
        Ok(Self { modules })
    }

    pub fn contains(&self, id: &crate::ModuleId) -> bool {
        self.modules.iter().any(|m| &m.module_id == id)
    }

    pub fn title(&self, id: &crate::ModuleId) -> Option<&str> {
        self.modules.iter().find(|m| &m.module_id == id).map(|m| m.title.as_str())
    }

    /// Every module of the catalogue is in `done`.
    pub fn complete(&self, mut done: impl FnMut(&crate::ModuleId) -> bool) -> bool {
        self.modules.iter().all(|m| done(&m.module_id))
    }
}

/// No completion report is older than the course's e-learning: anything before is not a fact
/// (and, unbounded, a year like 0367 would reach the store and the events).
pub const EARLIEST_COMPLETION: Timestamp = Timestamp::constant(1_577_836_800, 0); // 2020-01-01T00:00:00Z

/// The `completedAt` of a provider's completion report: an RFC 3339 timestamp, kept to the second,
/// from 2020 on and not in the future (judged to the second, as it is kept: "now" with
/// milliseconds is not in the future). Whether it is after the parent's invitation is the
/// store's to say.
pub fn completion_time(s: &str, now: Timestamp) -> Result<Timestamp, &'static str> {
    let t = s.parse::<Timestamp>().map(crate::clock::to_the_second).map_err(|_| "must be an RFC 3339 timestamp")?;
    if t > now {
        Err("must not be in the future")
    } else if t < EARLIEST_COMPLETION {
        Err("must not be before 2020")
    } else {
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_times_are_plausible_moments() {
        let now: Timestamp = "2026-11-28T09:00:00Z".parse().unwrap();
        assert_eq!(completion_time("2026-11-27T19:30:00+01:00", now), Ok("2026-11-27T18:30:00Z".parse().unwrap()));
        assert_eq!(completion_time("2026-11-28T09:00:00.900Z", now), Ok(now), "now with milliseconds is now");
        assert_eq!(completion_time("2026-11-28T09:00:01Z", now), Err("must not be in the future"));
        assert_eq!(completion_time("0367-05-01T12:00:00Z", now), Err("must not be before 2020"));
        assert_eq!(completion_time("-000367-05-01T12:00:00Z", now), Err("must not be before 2020"));
        assert_eq!(completion_time("2019-12-31T23:59:59Z", now), Err("must not be before 2020"));
        assert!(completion_time("2020-01-01T00:00:00Z", now).is_ok());
        assert_eq!(completion_time("yesterday", now), Err("must be an RFC 3339 timestamp"));
    }

    #[test]
    fn the_default_catalogue_has_the_four_topics() {
        let c = Catalogue::default();
        assert_eq!(c.modules.len(), 4);
        assert!(c.contains(&crate::ModuleId::parse("childs-point-of-view").unwrap()));
        assert!(!c.contains(&crate::ModuleId::parse("going-to-school").unwrap()));
        assert!(crate::ModuleId::parse("Going to court").is_err(), "a title is not an id");
    }

    #[test]
    fn bad_catalogues_are_refused() {
        assert!(Catalogue::parse("").is_err());
        assert!(Catalogue::parse("Bad Id=x").is_err());
        assert!(Catalogue::parse("a=x;a=y").is_err());
    }
}
