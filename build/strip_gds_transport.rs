// Shared by the build scripts that bundle GOV.UK Frontend's stylesheet (functions/booking,
// functions/staff-console; `include!`d): the GDS Transport typeface is only for service.gov.uk, so
// its @font-face rules go and the font stacks fall back to Arial, as GOV.UK's guidance asks.

fn strip_gds_transport(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(i) = rest.find("@font-face{") {
        out.push_str(&rest[..i]);
        match rest[i..].find('}') {
            Some(j) => rest = &rest[i + j + 1..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out.replace("font-family:GDS Transport,arial,sans-serif", "font-family:arial,sans-serif")
        .replace("font-family:GDS Transport", "font-family:arial,sans-serif")
}
