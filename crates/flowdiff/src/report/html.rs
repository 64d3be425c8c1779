//! A small HTML writer for reports: self-contained pages (inline CSS, no network fetches)
//! that reference PNGs beside them.

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A table with a header row.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Row> = rows
        .iter()
        .map(|r| Row {
            class: String::new(),
            cells: r.iter().map(|c| Cell::text(c)).collect(),
        })
        .collect();
    table_rows(headers, &rows)
}

/// One cell of [`table_rows`]: inner HTML (already escaped) and a CSS class (`""` for none).
#[derive(Clone, Debug, Default)]
pub struct Cell {
    pub class: String,
    pub html: String,
}

impl Cell {
    /// Plain text, escaped.
    pub fn text(s: &str) -> Cell {
        Cell {
            class: String::new(),
            html: esc(s),
        }
    }

    /// Plain text, escaped, left-aligned (for names; numbers stay right-aligned).
    pub fn name(s: &str) -> Cell {
        Cell {
            class: "t".into(),
            html: esc(s),
        }
    }

    /// The same cell with `class` added.
    pub fn with_class(mut self, class: &str) -> Cell {
        if !self.class.is_empty() {
            self.class.push(' ');
        }
        self.class.push_str(class);
        self
    }
}

/// One row of [`table_rows`] with a CSS class (`""` for none): `best` marks the best row of a
/// group, `group` starts a group with a rule above it.
#[derive(Clone, Debug, Default)]
pub struct Row {
    pub class: String,
    pub cells: Vec<Cell>,
}

/// A table with a header row and rows and cells that carry CSS classes.
pub fn table_rows(headers: &[&str], rows: &[Row]) -> String {
    let class = |c: &str| {
        if c.is_empty() {
            String::new()
        } else {
            format!(" class=\"{}\"", esc(c))
        }
    };
    let mut h = String::from("<table><tr>");
    for (i, c) in headers.iter().enumerate() {
        // A column of names (left-aligned cells) gets a left-aligned header.
        let left = rows
            .first()
            .and_then(|r| r.cells.get(i))
            .is_some_and(|c| c.class.split(' ').any(|k| k == "t"));
        h.push_str(&format!(
            "<th{}>{}</th>",
            class(if left { "t" } else { "" }),
            esc(c)
        ));
    }
    h.push_str("</tr>");
    for r in rows {
        h.push_str(&format!("<tr{}>", class(&r.class)));
        for c in &r.cells {
            h.push_str(&format!("<td{}>{}</td>", class(&c.class), c.html));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    h
}

/// The mark put before the best entry of a group (with the CSS class `best`).
pub const BEST: &str = "\u{2605}";

/// A bulleted list of items (inner HTML, already escaped).
pub fn list(items: &[String]) -> String {
    let mut h = String::from("<ul>");
    for i in items {
        h.push_str(&format!("<li>{i}</li>"));
    }
    h.push_str("</ul>");
    h
}

/// An image (relative path) with a caption.
pub fn figure(src: &str, caption: &str) -> String {
    format!(
        "<figure><img src=\"{}\" alt=\"{}\"><figcaption>{}</figcaption></figure>",
        esc(src),
        esc(caption),
        esc(caption)
    )
}

/// Preformatted text.
pub fn pre(text: &str) -> String {
    format!("<pre>{}</pre>", esc(text))
}

/// A whole page. The inline script marks the title with the number of images that failed to
/// load, so a headless browser can check the page (`images-ok` / `images-broken:N`).
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\n<style>\n\
body{{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}}h1{{font-size:24px}}h2{{font-size:19px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}}\n\
table{{border-collapse:collapse;margin:8px 0}}td,th{{border:1px solid #bbb;padding:4px 8px;text-align:right;font-size:13px}}th{{background:#f0f0f0}}\n\
figure{{display:inline-block;margin:8px;vertical-align:top}}img{{max-width:100%;border:1px solid #ddd}}figcaption{{font-size:12px;color:#555}}\n\
pre{{background:#f7f7f7;padding:8px;font-size:12px;overflow:auto}}.lead{{font-size:15px;line-height:1.5;background:#eef5ff;padding:10px}}\n\
td.t,th.t{{text-align:left}}tr.group td{{border-top:2px solid #666}}tr.best td,td.best{{font-weight:bold;background:#fff1bf}}.star{{color:#a66a00}}\n\
.conclusions{{background:#eef5ff;border-left:4px solid #0072b2;padding:8px 16px 10px;margin:12px 0 20px;max-width:1100px}}.conclusions h2,.conclusions h3{{margin:6px 0;border:none;font-size:17px}}\n\
.conclusions ul{{margin:6px 0;padding-left:22px}}.conclusions li{{font-size:14px;line-height:1.6}}.conclusions table{{background:#fff}}.note{{font-size:13px;color:#444}}\n\
</style></head><body>\n<h1>{t}</h1>\n{body}\n<script>\n\
window.addEventListener('load',function(){{var bad=0,imgs=document.images;for(var i=0;i<imgs.length;i++){{if(!imgs[i].complete||imgs[i].naturalWidth===0)bad++;}}\
document.title=(bad?'images-broken:'+bad:'images-ok')+' '+imgs.length;}});\n</script>\n</body></html>\n",
        t = esc(title),
        body = body
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_builds_tables() {
        assert_eq!(esc("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
        let t = table(&["x", "y"], &[vec!["1".into(), "<2>".into()]]);
        assert!(t.contains("<th>x</th>") && t.contains("<td>&lt;2&gt;</td>"));
        let rows = [Row {
            class: "best".into(),
            cells: vec![Cell::name("a<b").with_class("x"), Cell::text("1")],
        }];
        let t = table_rows(&["n", "v"], &rows);
        assert!(t.contains("<th class=\"t\">n</th><th>v</th>"), "{t}");
        assert!(
            t.contains("<tr class=\"best\"><td class=\"t x\">a&lt;b</td><td>1</td></tr>"),
            "{t}"
        );
        assert_eq!(
            list(&["a".into(), "b".into()]),
            "<ul><li>a</li><li>b</li></ul>"
        );
        let p = page("T", &figure("a.png", "A"));
        assert!(p.contains("tr.best td"));
        assert!(p.contains("<img src=\"a.png\"") && p.contains("images-ok") && !p.contains("http"));
    }
}
