//! The local stack: every function's handler in one process, wired as `template.yaml` wires them
//! in AWS: DynamoDB in process (dynoxide), the other services in the moto stand-in (`wire`).
//!
//! - the API: each HTTP function's router, on one port, as API Gateway serves them;
//! - EventBridge rules created in moto with SQS targets, polled and delivered to the consumer
//!   handlers as Lambda delivers them (retries, then the function's dead-letter queue);
//! - scheduled functions run on a timer (the outbox relay) or on invoke (sweeps);
//! - the control plane: the Lambda Invoke API, the mailbox, the clock, staff accounts, and the
//!   faults and chaos the stack's AWS calls meet (`faults`);
//! - the staff user pool (Cognito in the stand-in), with a coordinator and a trainer seeded.

pub mod control;
pub mod faults;
pub mod mailbox;
pub mod resources;
pub mod runner;
pub mod ses_events;
pub mod staff;
pub mod template;
pub mod template_pool;
pub mod wake;
pub mod wire;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::Context;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use jiff::{SignedDuration, Timestamp};
use pt4c_adapters::cognito::{Cognito, PoolSettings};
use pt4c_adapters::problem::Problem;
use pt4c_adapters::{Config, Deps};
use pt4c_domain::link::LinkSigner;
use pt4c_domain::timings::Timings;
use pt4c_domain::Clock;
use tokio::task::JoinHandle;
use tracing::Instrument;

/// The clock every function of the stack reads: real time unless set; set, it stands still at a
/// moment (`set`) or runs on from one (`run_from`, what a stack's `clock_starts_at` does).
#[derive(Debug, Default)]
pub struct ControlledClock {
    state: RwLock<ClockState>,
    /// What `set(None)` returns to: the clock the stack started with.
    base: ClockState,
}

#[derive(Debug, Default, Clone, Copy)]
enum ClockState {
    #[default]
    Real,
    Fixed(Timestamp),
    /// Real elapsed time added to `from`, counted from `since`.
    Running {
        from: Timestamp,
        since: std::time::Instant,
    },
}

impl ControlledClock {
    /// A clock that runs on from `start` (real time if `None`).
    pub fn starting_at(start: Option<Timestamp>) -> Self {
        let base = match start {
            Some(from) => ClockState::Running { from, since: std::time::Instant::now() },
            None => ClockState::Real,
        };
        Self { state: RwLock::new(base), base }
    }
    /// Stands still at `now`; `None`: back to the clock the stack started with.
    pub fn set(&self, now: Option<Timestamp>) {
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = match now {
            Some(t) => ClockState::Fixed(pt4c_domain::clock::to_the_second(t)),
            None => self.base,
        };
    }
    /// Runs on from `from` as real time passes.
    pub fn run_from(&self, from: Timestamp) {
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = ClockState::Running { from, since: std::time::Instant::now() };
    }
}

impl Clock for ControlledClock {
    fn now(&self) -> Timestamp {
        match *self.state.read().unwrap_or_else(|e| e.into_inner()) {
            ClockState::Fixed(t) => t,
            ClockState::Running { from, since } => {
                let elapsed = SignedDuration::try_from(since.elapsed()).unwrap_or(SignedDuration::ZERO);
                pt4c_domain::clock::to_the_second(from.saturating_add(elapsed).unwrap_or(from))
            }
            ClockState::Real => pt4c_domain::SystemClock.now(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct StackConfig {
    pub moto_endpoint: String,
    pub api_addr: SocketAddr,
    pub control_addr: SocketAddr,
    /// Names every resource of this stack in moto, so stacks can share one stand-in.
    pub prefix: String,
    /// Links in emails; defaults to the API's own address.
    pub public_base_url: Option<String>,
    pub template_path: std::path::PathBuf,
    pub link_key: Vec<u8>,
    pub timings: Timings,
    pub outbox_grace: SignedDuration,
    pub relay_every: Duration,
    /// How often an idle event poller polls its queue unbidden (it is woken at once when the stack
    /// puts an event or sends an email: `wake`).
    pub poll_every: Duration,
    /// Off: events stay on their queues until a test invokes the functions itself (the AWS-calls bench).
    pub deliver_events: bool,
    /// Runs the deadline sweep on its template schedule, on the stack's clock. Off by default: tests run
    /// the sweep themselves, at the moments they choose; `pt4c-local` turns it on.
    pub scheduled_sweep: bool,
    pub new_links_per_day: u32,
    /// Where the stack's clock starts (it then runs on); real time if `None`. Tests start every
    /// stack at one fixed moment (`PT4C_TEST_NOW`), so no outcome depends on the real date.
    pub clock_starts_at: Option<Timestamp>,
}

impl StackConfig {
    pub fn new(moto_endpoint: impl Into<String>) -> Self {
        Self {
            moto_endpoint: moto_endpoint.into(),
            api_addr: "127.0.0.1:0".parse().expect("literal address"),
            control_addr: "127.0.0.1:0".parse().expect("literal address"),
            prefix: format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
            public_base_url: None,
            template_path: workspace_file("template.yaml"),
            link_key: random_key(),
            timings: Timings::default(),
            outbox_grace: SignedDuration::from_secs(30),
            relay_every: Duration::from_millis(500),
            poll_every: wake::IDLE_POLL,
            deliver_events: true,
            scheduled_sweep: false,
            new_links_per_day: 3,
            clock_starts_at: None,
        }
    }
}

pub fn random_key() -> Vec<u8> {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple()).into_bytes()
}

/// A file of the workspace, wherever the binary or test runs from.
pub fn workspace_file(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(name)
}

/// An event seen on the bus (local only: the audit rule's queue).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeenEvent {
    pub detail_type: String,
    pub detail: serde_json::Value,
    pub time: Option<String>,
}

pub struct Shared {
    pub deps: Deps,
    pub clock: Arc<ControlledClock>,
    pub sdk: aws_config::SdkConfig,
    /// One SQS client for the runner's polls, the consumers' dead-letter queues and `is_quiet`.
    pub sqs: aws_sdk_sqs::Client,
    pub created: resources::Created,
    pub template: template::Template,
    pub moto_endpoint: String,
    pub http: reqwest::Client,
    pub events: Mutex<Vec<SeenEvent>>,
    /// The staff user pool in the stand-in (its JWKS served by the stand-in too).
    pub cognito: pt4c_adapters::cognito::Cognito,
    /// The API's router, built once: the API port serves it, the Invoke API calls it.
    pub api: Router,
    /// The accounts seeded at start, with their passwords: they sign in at once, without MFA.
    pub seeded_staff: Vec<staff::SeededStaff>,
    /// Rung after every call that may fill a polled queue (`wake`).
    pub bell: Arc<tokio::sync::Notify>,
    /// The faults and chaos the stack's AWS calls meet, and the calls made (`faults`).
    pub wire: Arc<Mutex<faults::Wire>>,
}

pub struct Stack {
    pub api_url: String,
    pub control_url: String,
    pub shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Stack {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The stand-in's region (the user pool's token issuer names it).
pub const REGION: &str = "eu-west-2";

/// The SDK configuration that points every client at the stand-in.
pub async fn moto_sdk(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(REGION))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("testing", "testing", None, None, "pt4c-local"))
        .load()
        .await
}

/// Adds a request id to every log line of a request and logs its route (never its path:
/// paths carry parents' link tokens).
async fn request_span(req: Request, next: Next) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %request_id);
    async move {
        let started = std::time::Instant::now();
        let mut response = next.run(req).await;
        tracing::info!(%method, route = %route, status = response.status().as_u16(), ms = started.elapsed().as_millis() as u64, "request");
        if let Ok(v) = request_id.parse() {
            response.headers_mut().insert("x-request-id", v);
        }
        response
    }
    .instrument(span)
    .await
}

/// The API as API Gateway serves it: every HTTP function's routes, the staff console's among them
/// (signing staff in against the stand-in's user pool).
pub fn api_router(deps: Deps, cognito: Cognito) -> Router {
    let console = staff_console::Console::new(deps.clone(), cognito, false);
    referral_intake::router(deps.clone())
        .merge(booking::router(deps.clone()))
        .merge(course_admin::router(deps))
        .merge(staff_console::router(console))
        .fallback(|| async { Problem::not_found("route").into_response() })
        .layer(axum::middleware::from_fn(request_span))
}

pub async fn start(cfg: StackConfig) -> anyhow::Result<Stack> {
    let yaml = std::fs::read_to_string(&cfg.template_path).with_context(|| format!("read {}", cfg.template_path.display()))?;
    let template = template::Template::parse(&yaml)?;
    let bell = Arc::new(tokio::sync::Notify::new());
    // The stack's DynamoDB, in process (the stand-in serves the other services).
    let (dynamodb, _db, dynamodb_server) = pt4c_emulator::serve_in_memory().await?;
    let wire = Arc::new(Mutex::new(faults::Wire::default()));
    let wiring = wire::Wiring { bell: bell.clone(), dynamodb, faults: wire.clone() };
    let sdk = wire::wired(moto_sdk(&cfg.moto_endpoint).await, wiring);
    let created = resources::create(&sdk, &template, &cfg.prefix)
        .await
        .with_context(|| format!("create the template's resources in the AWS stand-in at {}", cfg.moto_endpoint))?;

    let api = tokio::net::TcpListener::bind(cfg.api_addr).await.with_context(|| format!("bind the API to {}", cfg.api_addr))?;
    let control =
        tokio::net::TcpListener::bind(cfg.control_addr).await.with_context(|| format!("bind the control plane to {}", cfg.control_addr))?;
    let api_url = format!("http://{}", api.local_addr()?);
    let control_url = format!("http://{}", control.local_addr()?);

    let clock = Arc::new(ControlledClock::starting_at(cfg.clock_starts_at));
    let config = Config {
        table_name: created.table.clone(),
        event_bus_name: created.bus.clone(),
        sender_email: created.sender.clone(),
        ses_configuration_set: Some(created.configuration_set.clone()),
        public_base_url: cfg.public_base_url.clone().unwrap_or_else(|| api_url.clone()),
        timings: cfg.timings,
        outbox_grace: cfg.outbox_grace,
        catalogue: pt4c_domain::elearning::Catalogue::default(),
        elearning_url: pt4c_adapters::config::DEFAULT_ELEARNING_URL.into(),
        new_links_per_day: cfg.new_links_per_day,
        parenting_plan_url: pt4c_adapters::config::DEFAULT_PARENTING_PLAN_URL.into(),
        // In-process handlers run for milliseconds and the runner retries after 2 s, then 4 s.
        claim_lease: std::time::Duration::from_secs(2),
        coordinators_email: pt4c_adapters::config::DEFAULT_COORDINATORS_EMAIL.into(),
        service: pt4c_adapters::config::ServiceInfo::default(),
        sms_kinds: pt4c_domain::sms::SmsKinds::default(),
    };
    let links = LinkSigner::new(&cfg.link_key).context("link key")?;
    let pool = PoolSettings::new(REGION, &created.user_pool_id, &created.user_pool_client_id).with_jwks_url(format!(
        "{}/{}/.well-known/jwks.json",
        cfg.moto_endpoint.trim_end_matches('/'),
        created.user_pool_id
    ));
    let cognito = Cognito::new(&sdk, pool);
    let seeded_staff = staff::seed(&cognito, &sdk).await.context("seed the staff accounts")?;
    let deps = Deps::new(&sdk, config, Some(links), clock.clone());

    let shared = Arc::new(Shared {
        deps: deps.clone(),
        clock,
        sqs: aws_sdk_sqs::Client::new(&sdk),
        sdk,
        created,
        template,
        moto_endpoint: cfg.moto_endpoint.clone(),
        http: reqwest::Client::new(),
        events: Mutex::new(Vec::new()),
        api: api_router(deps.clone(), cognito.clone()),
        cognito,
        seeded_staff,
        bell,
        wire,
    });

    let mut tasks = vec![dynamodb_server];
    let api_app = shared.api.clone();
    tasks.push(tokio::spawn(async move {
        if let Err(e) = axum::serve(api, api_app).await {
            tracing::error!(error = %e, "the API server stopped");
        }
    }));
    let control_app = control::router(shared.clone());
    tasks.push(tokio::spawn(async move {
        if let Err(e) = axum::serve(control, control_app).await {
            tracing::error!(error = %e, "the control plane stopped");
        }
    }));
    tasks.extend(runner::spawn(shared.clone(), cfg.relay_every));
    if cfg.deliver_events {
        tasks.extend(runner::spawn_pollers(shared.clone(), cfg.poll_every));
        tasks.push(ses_events::spawn(shared.clone(), cfg.poll_every));
    }
    if cfg.scheduled_sweep {
        tasks.extend(runner::spawn_daily_sweep(shared.clone())?);
    }

    Ok(Stack { api_url, control_url, shared, tasks })
}

impl Stack {
    pub fn deps(&self) -> &Deps {
        &self.shared.deps
    }
    pub fn links(&self) -> &LinkSigner {
        self.shared.deps.links.as_ref().expect("the local stack signs links")
    }
    pub async fn mail(&self) -> anyhow::Result<Vec<mailbox::Mail>> {
        mailbox::fetch(&self.shared.http, &self.shared.moto_endpoint, &self.shared.created.sender).await
    }
    pub fn events(&self) -> Vec<SeenEvent> {
        self.shared.events.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    /// The seeded account of `role` (a coordinator and a trainer are seeded).
    pub fn seeded_staff(&self, role: pt4c_domain::staff::StaffRole) -> Option<&staff::SeededStaff> {
        self.shared.seeded_staff.iter().find(|s| s.role == role)
    }
    pub fn set_clock(&self, now: Option<Timestamp>) {
        self.shared.clock.set(now)
    }
    /// The stack's clock runs on from `from`.
    pub fn run_clock_from(&self, from: Timestamp) {
        self.shared.clock.run_from(from)
    }
    /// Now, on the stack's clock.
    pub fn now(&self) -> Timestamp {
        self.shared.clock.now()
    }

    /// Nothing in flight: every rule's queue (and the bus's audit queue) holds no message, visible
    /// or being delivered (a delivery deletes its message only once its handler is done, and a
    /// failed one waits invisible for its retry).
    pub async fn is_quiet(&self) -> anyhow::Result<bool> {
        use aws_sdk_sqs::types::QueueAttributeName::{ApproximateNumberOfMessages, ApproximateNumberOfMessagesNotVisible};
        let sqs = &self.shared.sqs;
        let created = &self.shared.created;
        for url in created.rule_queues.iter().map(|q| &q.queue_url).chain(std::iter::once(&created.audit_queue)) {
            let out = sqs
                .get_queue_attributes()
                .queue_url(url)
                .attribute_names(ApproximateNumberOfMessages)
                .attribute_names(ApproximateNumberOfMessagesNotVisible)
                .send()
                .await?;
            let attributes = out.attributes.unwrap_or_default();
            let count = |name| attributes.get(&name).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            if count(ApproximateNumberOfMessages) + count(ApproximateNumberOfMessagesNotVisible) > 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
