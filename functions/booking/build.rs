//! Bundles the GOV.UK Frontend stylesheet (npm `govuk-frontend`, installed by scripts/setup.sh)
//! into the binary, without the GDS Transport font: that typeface is only for service.gov.uk,
//! so pages fall back to Arial as GOV.UK's guidance asks of other services.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=../../build/strip_gds_transport.rs");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css");
    println!("cargo:rerun-if-changed={}", source.display());
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("hub.css");
    let css = match std::fs::read_to_string(&source) {
        Ok(css) => css,
        Err(_) if std::env::var("PROFILE").as_deref() == Ok("debug") => {
            println!("cargo:warning=govuk-frontend is not installed (run scripts/setup.sh): pages are unstyled in this debug build");
            String::new()
        }
        Err(e) => panic!("govuk-frontend is not installed at {}: run `npm ci` (scripts/setup.sh) first: {e}", source.display()),
    };
    std::fs::write(out, strip_gds_transport(&css)).expect("write the bundled stylesheet");
}

include!("../../build/strip_gds_transport.rs");
