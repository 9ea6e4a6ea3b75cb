//! The sign-in steps: InitiateAuth (USER_PASSWORD_AUTH) and RespondToAuthChallenge, with TOTP
//! enrolment through AssociateSoftwareToken / VerifySoftwareToken on the sign-in's session.

use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, AuthenticationResultType, ChallengeNameType, VerifySoftwareTokenResponseType};
use pt4c_domain::ports::PortError;

use super::{Cognito, Enrolment, Failure, SignInError, SignInStep};

/// How authenticator apps name the account's issuer.
const ISSUER: &str = "PT4C Hub";

/// Where the failure happened decides what NotAuthorized means: at the password it is the one
/// refusal; on a challenge the password was right, so it is the session that is no longer valid.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Password,
    Challenge,
}

fn refusal(f: Failure, stage: Stage) -> SignInError {
    match f.code.as_deref() {
        Some("NotAuthorizedException") if stage == Stage::Password => SignInError::Refused,
        Some("UserNotFoundException" | "UserNotConfirmedException" | "PasswordResetRequiredException") => SignInError::Refused,
        Some("NotAuthorizedException" | "ExpiredCodeException" | "ResourceNotFoundException") => SignInError::SessionExpired,
        Some("CodeMismatchException" | "EnableSoftwareTokenMFAException") => SignInError::BadCode,
        Some("InvalidPasswordException") => {
            SignInError::WeakPassword(f.message.unwrap_or_else(|| "The password does not meet the password policy.".into()))
        }
        _ => SignInError::Unavailable(f.unavailable()),
    }
}

/// The step an answer of InitiateAuth or RespondToAuthChallenge leads to.
fn next_step(
    result: Option<&AuthenticationResultType>,
    challenge: Option<&ChallengeNameType>,
    session: Option<&str>,
) -> Result<SignInStep, SignInError> {
    if let Some(id_token) = result.and_then(|r| r.id_token()) {
        return Ok(SignInStep::SignedIn { id_token: id_token.to_owned() });
    }
    let session = || {
        session
            .map(str::to_owned)
            .ok_or_else(|| SignInError::Unavailable(PortError::Permanent("Cognito asked for a challenge without a session".into())))
    };
    match challenge {
        Some(ChallengeNameType::NewPasswordRequired) => Ok(SignInStep::NewPasswordRequired { session: session()? }),
        Some(ChallengeNameType::MfaSetup) => Ok(SignInStep::MfaSetup { session: session()? }),
        Some(ChallengeNameType::SoftwareTokenMfa) => Ok(SignInStep::MfaCode { session: session()? }),
        other => Err(SignInError::Unavailable(PortError::Permanent(format!(
            "Cognito answered with an unexpected challenge: {}",
            other.map(|c| c.as_str()).unwrap_or("none and no tokens")
        )))),
    }
}

/// `otpauth://totp/PT4C%20Hub?secret=...&issuer=PT4C%20Hub`: what authenticator apps read from a QR code.
fn otpauth_uri(secret: &str) -> String {
    let issuer = ISSUER.replace(' ', "%20");
    format!("otpauth://totp/{issuer}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits=6&period=30")
}

impl Cognito {
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<SignInStep, SignInError> {
        let out = self
            .client
            .initiate_auth()
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .client_id(&self.settings.client_id)
            .auth_parameters("USERNAME", email.trim())
            .auth_parameters("PASSWORD", password)
            .send()
            .await
            .map_err(|e| refusal(Failure::of("InitiateAuth", &e), Stage::Password))?;
        next_step(out.authentication_result(), out.challenge_name(), out.session())
    }

    pub async fn new_password(&self, session: &str, email: &str, new_password: &str) -> Result<SignInStep, SignInError> {
        self.respond(ChallengeNameType::NewPasswordRequired, session, &[("USERNAME", email.trim()), ("NEW_PASSWORD", new_password)]).await
    }

    /// AssociateSoftwareToken with the session: the secret to show (as text and an otpauth:// URI)
    /// and the next session.
    pub async fn start_enrolment(&self, session: &str) -> Result<Enrolment, SignInError> {
        let out = self
            .client
            .associate_software_token()
            .session(session)
            .send()
            .await
            .map_err(|e| refusal(Failure::of("AssociateSoftwareToken", &e), Stage::Challenge))?;
        let secret = out
            .secret_code()
            .ok_or_else(|| SignInError::Unavailable(PortError::Permanent("AssociateSoftwareToken gave no secret".into())))?
            .to_owned();
        Ok(Enrolment {
            otpauth_uri: otpauth_uri(&secret),
            secret,
            // Cognito may keep the session it was given.
            session: out.session().unwrap_or(session).to_owned(),
        })
    }

    /// VerifySoftwareToken with the session and code, then RespondToAuthChallenge MFA_SETUP.
    pub async fn finish_enrolment(&self, session: &str, email: &str, code: &str) -> Result<SignInStep, SignInError> {
        let out = self
            .client
            .verify_software_token()
            .session(session)
            .user_code(code.trim())
            .friendly_device_name(ISSUER)
            .send()
            .await
            .map_err(|e| refusal(Failure::of("VerifySoftwareToken", &e), Stage::Challenge))?;
        if out.status() != Some(&VerifySoftwareTokenResponseType::Success) {
            return Err(SignInError::BadCode);
        }
        let session = out.session().unwrap_or(session);
        self.respond(ChallengeNameType::MfaSetup, session, &[("USERNAME", email.trim())]).await
    }

    pub async fn mfa_code(&self, session: &str, email: &str, code: &str) -> Result<SignInStep, SignInError> {
        self.respond(ChallengeNameType::SoftwareTokenMfa, session, &[("USERNAME", email.trim()), ("SOFTWARE_TOKEN_MFA_CODE", code.trim())])
            .await
    }

    async fn respond(&self, challenge: ChallengeNameType, session: &str, answers: &[(&str, &str)]) -> Result<SignInStep, SignInError> {
        let operation = format!("RespondToAuthChallenge {}", challenge.as_str());
        let mut request =
            self.client.respond_to_auth_challenge().client_id(&self.settings.client_id).challenge_name(challenge).session(session);
        for (k, v) in answers {
            request = request.challenge_responses(*k, *v);
        }
        let out = request.send().await.map_err(|e| refusal(Failure::of(&operation, &e), Stage::Challenge))?;
        next_step(out.authentication_result(), out.challenge_name(), out.session())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_names_the_next_step_and_tokens_sign_in() {
        let step = next_step(None, Some(&ChallengeNameType::MfaSetup), Some("s1")).unwrap();
        assert_eq!(step, SignInStep::MfaSetup { session: "s1".into() });
        let result = AuthenticationResultType::builder().id_token("t").build();
        assert_eq!(next_step(Some(&result), None, None).unwrap(), SignInStep::SignedIn { id_token: "t".into() });
        assert!(matches!(next_step(None, Some(&ChallengeNameType::SmsMfa), Some("s")), Err(SignInError::Unavailable(_))));
    }

    #[test]
    fn the_otpauth_uri_carries_the_secret_and_issuer() {
        assert_eq!(otpauth_uri("ABC234"), "otpauth://totp/PT4C%20Hub?secret=ABC234&issuer=PT4C%20Hub&algorithm=SHA1&digits=6&period=30");
    }
}
