//! Every screen fits its window: at 1280x720, 1366x768 and 1920x1080
//! points, at 1 and 2 pixels per point, nothing overlaps, nothing lies
//! outside the window where no scroll area reaches it, and no text is
//! squeezed to a word per line ([`misfits`]).

use super::*;

#[test]
fn the_entry_form_read_from_a_report_fits_beside_its_panel() {
    assert_fits("New entry from report", |h, dir| {
        click(h, "Demo: cirrhosis case report");
        read_report(h, &seed_report(dir));
        h.get_by_label("From the report");
        // A long message beside a value, as in the report of issue 43.
        replace_text(h, "Total bilirubin", "99999");
        replace_text(h, "AST (SGOT)", "abc");
    });
}
