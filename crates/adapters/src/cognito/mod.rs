//! Amazon Cognito for the staff console: the user pool's sign-in steps (password, new password,
//! TOTP enrolment and codes), staff accounts, and verification of the ID tokens it issues.
//! The same code runs against AWS and against the stand-in's Cognito.

mod sign_in;
mod staff;
mod tokens;

use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use pt4c_domain::ports::PortError;
use pt4c_domain::staff::StaffRole;

use crate::config::ConfigError;

pub use tokens::{IdTokenVerifier, TokenRefusal};

/// Where the pool is and how its tokens are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    pub region: String,
    pub user_pool_id: String,
    pub client_id: String,
    /// The `iss` of the pool's tokens.
    pub issuer: String,
    /// Where the pool's signing keys are fetched.
    pub jwks_url: String,
}

impl PoolSettings {
    /// issuer = `https://cognito-idp.{region}.amazonaws.com/{pool}`; jwks_url = `{issuer}/.well-known/jwks.json`.
    pub fn new(region: &str, user_pool_id: &str, client_id: &str) -> Self {
        let issuer = format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}");
        Self {
            region: region.to_owned(),
            user_pool_id: user_pool_id.to_owned(),
            client_id: client_id.to_owned(),
            jwks_url: format!("{issuer}/.well-known/jwks.json"),
            issuer,
        }
    }

    /// Overrides where the JWKS is fetched (the stand-in serves it at
    /// `{endpoint}/{pool}/.well-known/jwks.json`); the issuer stays.
    pub fn with_jwks_url(self, url: String) -> Self {
        Self { jwks_url: url, ..self }
    }

    /// `USER_POOL_ID`, `USER_POOL_CLIENT_ID`, `AWS_REGION`; optional `COGNITO_JWKS_URL`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let var = |name: &'static str| std::env::var(name).map_err(|_| ConfigError::Missing(name));
        let settings = Self::new(&var("AWS_REGION")?, &var("USER_POOL_ID")?, &var("USER_POOL_CLIENT_ID")?);
        Ok(match std::env::var("COGNITO_JWKS_URL") {
            Ok(url) if !url.trim().is_empty() => settings.with_jwks_url(url.trim().to_owned()),
            _ => settings,
        })
    }
}

/// The user pool, for the console's sign-in pages and account management.
#[derive(Debug, Clone)]
pub struct Cognito {
    client: aws_sdk_cognitoidentityprovider::Client,
    settings: PoolSettings,
}

impl Cognito {
    pub fn new(sdk: &aws_config::SdkConfig, settings: PoolSettings) -> Self {
        Self { client: aws_sdk_cognitoidentityprovider::Client::new(sdk), settings }
    }

    pub fn settings(&self) -> &PoolSettings {
        &self.settings
    }
}

/// Where a sign-in stands after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInStep {
    SignedIn {
        id_token: String,
    },
    /// A temporary password was used: the person chooses their own.
    NewPasswordRequired {
        session: String,
    },
    /// MFA is required and the person has no authenticator yet: enrol one.
    MfaSetup {
        session: String,
    },
    /// The code from the person's authenticator app.
    MfaCode {
        session: String,
    },
}

/// What an authenticator app is given to enrol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// Base32, for typing in by hand.
    pub secret: String,
    /// `otpauth://totp/...`, for a QR code.
    pub otpauth_uri: String,
    pub session: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Wrong password, unknown or disabled account: one answer that never says which.
    #[error("the email address or password is not right")]
    Refused,
    #[error("the code is not right")]
    BadCode,
    /// Cognito's password policy message (no personal data).
    #[error("the new password is too weak: {0}")]
    WeakPassword(String),
    /// The sign-in's session ran out (or is unknown): start again.
    #[error("the sign-in took too long")]
    SessionExpired,
    #[error("Cognito is unavailable: {0}")]
    Unavailable(PortError),
}

/// A staff account to create.
#[derive(Debug, Clone)]
pub struct NewStaff {
    pub email: String,
    pub name: String,
    pub role: StaffRole,
    /// None: Cognito makes a temporary password and emails the invitation.
    pub password: Option<String>,
    /// With a password: it is set as the account's own (no new-password step, no enrolment on the
    /// stand-in); otherwise it is a temporary one, given to the person by whoever made the account.
    pub permanent: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAccount {
    pub email: String,
    pub name: String,
    pub role: StaffRole,
    pub enabled: bool,
    /// Cognito's user status (`CONFIRMED`, `FORCE_CHANGE_PASSWORD`, ...).
    pub status: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("an account with that email address exists")]
    Exists,
    #[error("no such account")]
    NotFound,
    /// Cognito refused a value (Cognito's message).
    #[error("not valid: {0}")]
    Invalid(String),
    #[error("Cognito is unavailable: {0}")]
    Unavailable(PortError),
}

/// An SDK failure, classified once. Only the error's code and status are kept: Cognito's messages
/// can echo a username, and these end up in logs.
pub(crate) struct Failure {
    pub code: Option<String>,
    pub message: Option<String>,
    pub retryable: bool,
    pub summary: String,
}

impl Failure {
    pub fn of<E, R>(operation: &str, e: &SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        match e {
            SdkError::ServiceError(s) => {
                let err = s.err();
                let code = err.code().map(str::to_owned);
                let retryable = matches!(
                    code.as_deref(),
                    Some("TooManyRequestsException" | "LimitExceededException" | "InternalErrorException" | "ThrottlingException")
                );
                Self {
                    summary: format!("{operation}: {}", code.as_deref().unwrap_or("unknown error")),
                    message: err.message().map(str::to_owned),
                    code,
                    retryable,
                }
            }
            // Timeouts, connection failures, unreadable answers: nothing about a person in them.
            other => Self {
                code: None,
                message: None,
                retryable: true,
                summary: format!("{operation}: {}", aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(other)),
            },
        }
    }

    pub fn unavailable(self) -> PortError {
        if self.retryable {
            PortError::Retryable(self.summary)
        } else {
            PortError::Permanent(self.summary)
        }
    }
}
