//! The staff console as a person's browser drives it: its cookies, the CSRF token of the last
//! page, forms posted as a browser posts them. Redirects are answers to check, not followed.

use std::collections::BTreeMap;

use pt4c_domain::staff::StaffRole;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::TestApp;

pub const SIGN_IN: &str = "/console/sign-in";

/// What a page answered.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    /// The hidden CSRF field of the page's forms.
    pub fn csrf(&self) -> Option<String> {
        let at = self.body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
        Some(self.body[at..].split('"').next()?.to_owned())
    }
    pub fn redirects_to(&self, path: &str) -> bool {
        self.status == 303 && self.location.as_deref() == Some(path)
    }
}

/// One browser: its own cookie jar.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookies: BTreeMap<String, String>,
    pub csrf: Option<String>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self { app, cookies: BTreeMap::new(), csrf: None }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn answer(&mut self, res: reqwest::Response) -> Page {
        for c in res.headers().get_all(SET_COOKIE) {
            let c = c.to_str().unwrap_or_default();
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if attrs.contains("Max-Age=0") || v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let status = res.status().as_u16();
        let location = res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = res.text().await.unwrap_or_default();
        let page = Page { status, location, body };
        if let Some(t) = page.csrf() {
            self.csrf = Some(t);
        }
        page
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let res = self.app.http.get(self.app.api(path)).header(COOKIE, self.cookie_header()).send().await.expect("the console answers");
        self.answer(res).await
    }

    /// Posts a form with the CSRF token of the last page seen.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_exactly(path, &all).await
    }

    /// Posts exactly these fields (no CSRF token unless given).
    pub async fn post_exactly(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).expect("form fields encode");
        let res = self
            .app
            .http
            .post(self.app.api(path))
            .header(COOKIE, self.cookie_header())
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("the console answers");
        self.answer(res).await
    }

    /// Signs in with a password (accounts without an authenticator app: the seeded ones and those
    /// the control plane makes); panics unless the dashboard is reached.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> &mut Self {
        let page = self.sign_in_answer(email, password).await;
        assert!(page.redirects_to("/console/"), "signed in as {email}: {} {:?}", page.status, page.location);
        let dashboard = self.get("/console/").await;
        assert_eq!(dashboard.status, 200);
        self
    }

    pub async fn sign_in_answer(&mut self, email: &str, password: &str) -> Page {
        let form = self.get(SIGN_IN).await;
        assert_eq!(form.status, 200, "the sign-in page");
        self.post(SIGN_IN, &[("email", email), ("password", password)]).await
    }
}

impl TestApp {
    /// A staff account made through the local control plane: it signs in at once with `password`.
    pub async fn staff_account(&self, email: &str, name: &str, role: StaffRole) -> String {
        let password = format!("Pt4c-{}-Aa1!", uuid::Uuid::new_v4().simple());
        let res = self
            .http
            .post(format!("{}/staff-users", self.stack.control_url))
            .json(&json!({"email": email, "name": name, "role": role.as_str(), "password": password}))
            .send()
            .await
            .expect("the control plane answers");
        assert_eq!(res.status().as_u16(), 201, "staff account {email}");
        password
    }

    /// A browser signed in as a new account with this role.
    pub async fn staff(&self, email: &str, role: StaffRole) -> Browser<'_> {
        let password = self.staff_account(email, "Staff Member", role).await;
        let mut b = Browser::new(self);
        b.sign_in(email, &password).await;
        b
    }
}
