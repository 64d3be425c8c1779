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
    let mut h = String::from("<table><tr>");
    for c in headers {
        h.push_str(&format!("<th>{}</th>", esc(c)));
    }
    h.push_str("</tr>");
    for r in rows {
        h.push_str("<tr>");
        for c in r {
            h.push_str(&format!("<td>{}</td>", esc(c)));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
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
        let p = page("T", &figure("a.png", "A"));
        assert!(p.contains("<img src=\"a.png\"") && p.contains("images-ok") && !p.contains("http"));
    }
}
