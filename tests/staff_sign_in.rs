//! Staff sign-in against the stand-in's Cognito through the real SDK: the adapter's steps
//! (password, new password, TOTP enrolment with real codes, MFA codes), account management, and
//! the ID token verifier; then the local stack's seeded accounts and `POST /staff-users`.

use aws_sdk_cognitoidentityprovider::types::{AttributeType, ExplicitAuthFlowsType, MessageActionType};
use pt4c_adapters::cognito::{Cognito, IdTokenVerifier, NewStaff, PoolSettings, SignInError, SignInStep, TokenRefusal};
use pt4c_domain::staff::StaffRole;
use pt4c_tests::pt4c_local::{self, staff, template::Template};
use pt4c_tests::{moto_endpoint, spawn_app};
use serde_json::json;

const PASSWORD: &str = "Correct-Horse-42";

/// A staff pool of its own in the stand-in, made from the template as the local stack makes it.
struct Pool {
    sdk: aws_config::SdkConfig,
    cognito: Cognito,
    verifier: IdTokenVerifier,
}

async fn pool() -> Pool {
    let moto = moto_endpoint();
    let sdk = pt4c_local::moto_sdk(&moto).await;
    let template = Template::parse(&std::fs::read_to_string(pt4c_local::workspace_file("template.yaml")).unwrap()).unwrap();
    let prefix = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let ids = staff::create_pool(&sdk, &template.staff_pool, &prefix).await.expect("the staff pool is made");
    let settings = PoolSettings::new(pt4c_local::REGION, &ids.user_pool_id, &ids.client_id)
        .with_jwks_url(format!("{moto}/{}/.well-known/jwks.json", ids.user_pool_id));
    Pool { verifier: IdTokenVerifier::new(&settings, reqwest::Client::new()), cognito: Cognito::new(&sdk, settings), sdk }
}

impl Pool {
    async fn account(&self, email: &str, role: StaffRole, permanent: bool) {
        let new = NewStaff { email: email.into(), name: "Robin Staff".into(), role, password: Some(PASSWORD.into()), permanent };
        self.cognito.create_staff(&new).await.expect("the account is made");
    }

    async fn signed_in(&self, email: &str, password: &str) -> String {
        match self.cognito.sign_in(email, password).await {
            Ok(SignInStep::SignedIn { id_token }) => id_token,
            other => panic!("expected to be signed in, got {other:?}"),
        }
    }

    fn client(&self) -> aws_sdk_cognitoidentityprovider::Client {
        aws_sdk_cognitoidentityprovider::Client::new(&self.sdk)
    }
}

/// The authenticator app: the current RFC 6238 code of a base32 secret.
fn totp(secret: &str) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret.to_ascii_uppercase()).expect("a base32 secret");
    totp_rs::Builder::new().with_secret(secret).build_noncompliant().generate_current().to_string()
}

/// Sends the current code; when the 30-second step turned between computing and checking it (the
/// stand-in takes the current step only), sends the new step's code once more.
async fn with_code<F, Fut>(secret: &str, mut send: F) -> Result<SignInStep, SignInError>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = Result<SignInStep, SignInError>>,
{
    let code = totp(secret);
    match send(code.clone()).await {
        Err(SignInError::BadCode) if totp(secret) != code => send(totp(secret)).await,
        other => other,
    }
}

/// A code that is not the current one.
fn wrong_code(secret: &str) -> String {
    format!("{:06}", (totp(secret).parse::<u32>().unwrap() + 1) % 1_000_000)
}

#[tokio::test]
async fn a_seeded_account_signs_in_at_once_and_the_verifier_names_its_role() {
    let pool = pool().await;
    pool.account("coordinator@pt4c.test", StaffRole::Coordinator, true).await;
    pool.account("trainer@pt4c.test", StaffRole::Trainer, true).await;

    let token = pool.signed_in("coordinator@pt4c.test", PASSWORD).await;
    let member = pool.verifier.verify(&token).await.expect("the token is accepted");
    assert_eq!(member.role, StaffRole::Coordinator);
    assert_eq!(member.email, "coordinator@pt4c.test");
    assert_eq!(member.name, "Robin Staff");
    assert!(!member.sub.is_empty());

    let token = pool.signed_in("trainer@pt4c.test", PASSWORD).await;
    assert_eq!(pool.verifier.verify(&token).await.unwrap().role, StaffRole::Trainer);
}

#[tokio::test]
async fn wrong_passwords_unknown_emails_and_disabled_accounts_get_one_refusal() {
    let pool = pool().await;
    pool.account("trainer@pt4c.test", StaffRole::Trainer, true).await;

    assert!(matches!(pool.cognito.sign_in("trainer@pt4c.test", "Wrong-Password-1").await, Err(SignInError::Refused)));
    assert!(matches!(pool.cognito.sign_in("nobody@pt4c.test", PASSWORD).await, Err(SignInError::Refused)));

    pool.cognito.set_enabled("trainer@pt4c.test", false).await.unwrap();
    assert!(matches!(pool.cognito.sign_in("trainer@pt4c.test", PASSWORD).await, Err(SignInError::Refused)));
    let listed = pool.cognito.list_staff().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].email.as_str(), listed[0].role, listed[0].enabled), ("trainer@pt4c.test", StaffRole::Trainer, false));

    pool.cognito.set_enabled("trainer@pt4c.test", true).await.unwrap();
    pool.signed_in("trainer@pt4c.test", PASSWORD).await;
    assert!(matches!(pool.cognito.set_enabled("nobody@pt4c.test", false).await, Err(pt4c_adapters::cognito::AdminError::NotFound)));
}

#[tokio::test]
async fn a_new_account_chooses_a_password_enrols_an_authenticator_then_gives_codes() {
    let pool = pool().await;
    let email = "new.trainer@pt4c.test";
    pool.account(email, StaffRole::Trainer, false).await;
    assert!(matches!(
        pool.cognito
            .create_staff(&NewStaff {
                email: email.into(),
                name: "Again".into(),
                role: StaffRole::Trainer,
                password: None,
                permanent: false
            })
            .await,
        Err(pt4c_adapters::cognito::AdminError::Exists)
    ));
    assert_eq!(pool.cognito.list_staff().await.unwrap()[0].status, "FORCE_CHANGE_PASSWORD");

    let SignInStep::NewPasswordRequired { session } = pool.cognito.sign_in(email, PASSWORD).await.unwrap() else {
        panic!("a temporary password asks for a new one")
    };
    assert!(matches!(pool.cognito.new_password(&session, email, "short").await, Err(SignInError::WeakPassword(_))));
    let chosen = "Chosen-Password-77";
    let SignInStep::MfaSetup { session } = pool.cognito.new_password(&session, email, chosen).await.unwrap() else {
        panic!("MFA is required: enrolment comes next")
    };
    let enrolment = pool.cognito.start_enrolment(&session).await.unwrap();
    assert!(enrolment.otpauth_uri.starts_with("otpauth://totp/"));
    assert!(enrolment.otpauth_uri.contains(&format!("secret={}", enrolment.secret)));

    let wrong = pool.cognito.finish_enrolment(&enrolment.session, email, &wrong_code(&enrolment.secret)).await;
    assert!(matches!(wrong, Err(SignInError::BadCode)), "{wrong:?}");
    let step = with_code(&enrolment.secret, |code| {
        let (cognito, session) = (pool.cognito.clone(), enrolment.session.clone());
        async move { cognito.finish_enrolment(&session, email, &code).await }
    })
    .await
    .unwrap();
    let SignInStep::SignedIn { id_token } = step else { panic!("enrolled: signed in, got {step:?}") };
    assert_eq!(pool.verifier.verify(&id_token).await.unwrap().role, StaffRole::Trainer);

    // From now on: password, then a code.
    let SignInStep::MfaCode { session } = pool.cognito.sign_in(email, chosen).await.unwrap() else { panic!("a code is asked for") };
    assert!(matches!(pool.cognito.mfa_code(&session, email, &wrong_code(&enrolment.secret)).await, Err(SignInError::BadCode)));
    let step = with_code(&enrolment.secret, |code| {
        let (cognito, session) = (pool.cognito.clone(), session.clone());
        async move { cognito.mfa_code(&session, email, &code).await }
    })
    .await
    .unwrap();
    assert!(matches!(step, SignInStep::SignedIn { .. }));
    assert!(matches!(pool.cognito.mfa_code("no-such-session", email, "123456").await, Err(SignInError::SessionExpired)));
}

#[tokio::test]
async fn tokens_of_another_client_another_pool_no_role_or_tampered_are_refused() {
    let pool = pool().await;
    pool.account("coordinator@pt4c.test", StaffRole::Coordinator, true).await;
    let settings = pool.cognito.settings().clone();

    // A second app client of the same pool: right signature and issuer, another audience.
    let other_client = pool
        .client()
        .create_user_pool_client()
        .user_pool_id(&settings.user_pool_id)
        .client_name("another-app")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .and_then(|c| c.client_id)
        .unwrap();
    let other_app = Cognito::new(&pool.sdk, PoolSettings { client_id: other_client, ..settings.clone() });
    let SignInStep::SignedIn { id_token } = other_app.sign_in("coordinator@pt4c.test", PASSWORD).await.unwrap() else { panic!() };
    assert_eq!(pool.verifier.verify(&id_token).await, Err(TokenRefusal::Invalid));

    // Another pool (the stand-in signs every pool's tokens with one key: the issuer tells them apart).
    let other = self::pool().await;
    other.account("coordinator@pt4c.test", StaffRole::Coordinator, true).await;
    let foreign = other.signed_in("coordinator@pt4c.test", PASSWORD).await;
    assert!(other.verifier.verify(&foreign).await.is_ok());
    assert_eq!(pool.verifier.verify(&foreign).await, Err(TokenRefusal::Invalid));

    // One byte of the payload changed.
    let token = pool.signed_in("coordinator@pt4c.test", PASSWORD).await;
    let mut bytes = token.clone().into_bytes();
    let at = token.find('.').unwrap() + 10;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    assert_eq!(pool.verifier.verify(&String::from_utf8(bytes).unwrap()).await, Err(TokenRefusal::Invalid));
    assert!(pool.verifier.verify(&token).await.is_ok());

    // A person in no role group.
    let cognito = pool.client();
    cognito
        .admin_create_user()
        .user_pool_id(&settings.user_pool_id)
        .username("nobody@pt4c.test")
        .user_attributes(AttributeType::builder().name("email").value("nobody@pt4c.test").build().unwrap())
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    cognito
        .admin_set_user_password()
        .user_pool_id(&settings.user_pool_id)
        .username("nobody@pt4c.test")
        .password(PASSWORD)
        .permanent(true)
        .send()
        .await
        .unwrap();
    let roleless = pool.signed_in("nobody@pt4c.test", PASSWORD).await;
    assert_eq!(pool.verifier.verify(&roleless).await, Err(TokenRefusal::NoRole));
}

#[tokio::test]
async fn the_local_stack_seeds_staff_and_makes_accounts_on_request() {
    let app = spawn_app().await;
    let cognito = &app.stack.shared.cognito;
    let verifier = IdTokenVerifier::new(cognito.settings(), reqwest::Client::new());
    for role in [StaffRole::Coordinator, StaffRole::Trainer] {
        let seeded = app.stack.seeded_staff(role).expect("seeded");
        let SignInStep::SignedIn { id_token } = cognito.sign_in(&seeded.email, &seeded.password).await.unwrap() else {
            panic!("a seeded account signs in at once")
        };
        assert_eq!(verifier.verify(&id_token).await.unwrap().role, role);
    }

    let staff_users = format!("{}/staff-users", app.stack.control_url);
    let body = json!({"email": "fca@cafcass.test", "name": "Frankie Adviser", "role": "cafcass", "password": PASSWORD});
    let made = app.http.post(&staff_users).json(&body).send().await.unwrap();
    assert_eq!(made.status(), 201);
    assert_eq!(made.json::<serde_json::Value>().await.unwrap(), json!({"email": "fca@cafcass.test", "role": "cafcass"}));
    let SignInStep::SignedIn { id_token } = cognito.sign_in("fca@cafcass.test", PASSWORD).await.unwrap() else {
        panic!("the account signs in at once")
    };
    let member = verifier.verify(&id_token).await.unwrap();
    assert_eq!((member.role, member.name.as_str()), (StaffRole::Cafcass, "Frankie Adviser"));

    let again = app.http.post(&staff_users).json(&body).send().await.unwrap();
    assert_eq!(again.status(), 409);

    let bad = json!({"email": "x@pt4c.test", "name": "X", "role": "admin", "password": "short"});
    let refused = app.http.post(&staff_users).json(&bad).send().await.unwrap();
    assert_eq!(refused.status(), 422);
    let problem: serde_json::Value = refused.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["role", "password"]);
}
