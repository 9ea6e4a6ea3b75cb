//! Bundles GOV.UK Frontend's and MOJ Frontend's stylesheets (npm, installed by scripts/setup.sh)
//! into the binary, without the GDS Transport font: that typeface is only for service.gov.uk.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=../../build/strip_gds_transport.rs");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node_modules");
    let sources =
        [root.join("govuk-frontend/dist/govuk/govuk-frontend.min.css"), root.join("@ministryofjustice/frontend/moj/moj-frontend.min.css")];
    let mut css = String::new();
    for source in &sources {
        println!("cargo:rerun-if-changed={}", source.display());
        match std::fs::read_to_string(source) {
            Ok(s) => css.push_str(&strip_gds_transport(&s)),
            Err(_) if std::env::var("PROFILE").as_deref() == Ok("debug") => {
                println!(
                    "cargo:warning={} is not installed (run scripts/setup.sh): pages are unstyled in this debug build",
                    source.display()
                );
            }
            Err(e) => panic!("{} is not installed: run `npm ci` (scripts/setup.sh) first: {e}", source.display()),
        }
        css.push('\n');
    }
    // The console's own rules come last, so they win over the frameworks'.
    let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("console.css");
    println!("cargo:rerun-if-changed={}", own.display());
    css.push_str(&std::fs::read_to_string(&own).expect("functions/staff-console/console.css"));
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("console.css");
    std::fs::write(out, css).expect("write the bundled stylesheet");
}

include!("../../build/strip_gds_transport.rs");
