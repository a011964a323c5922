//! Front and back matter and running text: cover, back cover, parts, headings, narrative,
//! committee, table of contents, page breaks and images.

use serde::Deserialize;
use survey_print::{
    BackCover as BackCoverElement, Committee as CommitteeElement, CommitteeGroup, CommitteeMember,
    Cover as CoverElement, Element, Image, ImageFormat,
};

use crate::block::{Block, Context, CrossTabNeed, Env};
use crate::narrative::Para;

use super::yes;

/// The cover page; the pages after it are numbered in roman numerals until the first part.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cover {
    pub title: String,
    #[serde(default)]
    pub subtitle: Option<String>,
    pub organisation: String,
    #[serde(default)]
    pub edition: Option<String>,
    /// A notice printed on the cover (e.g. that the data are synthetic).
    #[serde(default)]
    pub note: Option<String>,
    /// A logo from the report folder.
    #[serde(default)]
    pub logo: Option<ImageSpec>,
}

impl Block for Cover {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        let logo = match &self.logo {
            Some(l) => Some(l.load(cx, 3.0)?),
            None => None,
        };
        cx.push(Element::Cover(CoverElement {
            title: self.title.clone(),
            subtitle: self.subtitle.clone(),
            organisation: self.organisation.clone(),
            edition: self.edition.clone(),
            note: self.note.clone(),
            logo,
        }));
        Ok(())
    }
}

/// An image file of the report folder (PNG or SVG) with its text alternative.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    pub file: String,
    /// What the image shows, for readers who cannot see it.
    pub alt: String,
    /// Width in centimetres.
    #[serde(default)]
    pub width: Option<f64>,
    #[serde(default)]
    pub caption: Option<String>,
}

impl ImageSpec {
    /// Read and check the image; only PNG and SVG inside the report folder.
    pub fn load(&self, cx: &Context, default_width: f64) -> Result<Image, String> {
        let lower = self.file.to_ascii_lowercase();
        let format = if lower.ends_with(".png") {
            ImageFormat::Png
        } else if lower.ends_with(".svg") {
            ImageFormat::Svg
        } else {
            return Err(format!(
                "{}: images are PNG or SVG files of the report folder",
                self.file
            ));
        };
        if self.alt.trim().is_empty() {
            return Err(format!(
                "{}: an image needs `alt`, a text saying what it shows",
                self.file
            ));
        }
        let bytes = cx.folder.read(&self.file)?;
        let ok = match format {
            ImageFormat::Png => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            ImageFormat::Svg => std::str::from_utf8(&bytes).is_ok_and(|s| s.contains("<svg")),
        };
        if !ok {
            return Err(format!(
                "{}: not a {} file",
                self.file,
                if format == ImageFormat::Png {
                    "PNG"
                } else {
                    "SVG"
                }
            ));
        }
        let width = self.width.unwrap_or(default_width);
        if !(width > 0.0 && width <= 16.0) {
            return Err(format!(
                "{}: width {width} cm is not between 0 and 16",
                self.file
            ));
        }
        // A name made from the file's checksum: safe in Typst and distinct per content.
        use sha2::Digest;
        let digest = sha2::Sha256::digest(&bytes);
        let name = format!(
            "img-{}.{}",
            digest[..8]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
            if format == ImageFormat::Png {
                "png"
            } else {
                "svg"
            }
        );
        Ok(Image {
            name,
            format,
            alt: self.alt.clone(),
            width_cm: width,
            caption: self.caption.clone(),
            bytes,
        })
    }
}

/// An image of the report folder (a logo, a QR code), centred.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageBlock {
    pub file: String,
    pub alt: String,
    #[serde(default)]
    pub width: Option<f64>,
    #[serde(default)]
    pub caption: Option<String>,
}

impl Block for ImageBlock {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        let i = ImageSpec {
            file: self.file.clone(),
            alt: self.alt.clone(),
            width: self.width,
            caption: self.caption.clone(),
        }
        .load(cx, 4.0)?;
        cx.push(Element::Image(i));
        Ok(())
    }
}

/// The back cover: the publisher, lines of contact details, images such as a QR code.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackCover {
    pub organisation: String,
    #[serde(default)]
    pub lines: Vec<String>,
    #[serde(default)]
    pub images: Vec<ImageSpec>,
}

impl Block for BackCover {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        let images = self
            .images
            .iter()
            .map(|i| i.load(cx, 3.0))
            .collect::<Result<Vec<_>, _>>()?;
        cx.push(Element::BackCover(BackCoverElement {
            organisation: self.organisation.clone(),
            lines: self.lines.clone(),
            images,
        }));
        Ok(())
    }
}

/// A part: a new page with its number and title (01 PART 调查研究背景). The first part starts
/// the arabic page numbers; tables and figures after it are numbered within it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    pub number: String,
    pub title: String,
}

impl Block for Part {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        cx.push(Element::Part {
            number: self.number.clone(),
            title: self.title.clone(),
        });
        Ok(())
    }
}

fn default_level() -> u8 {
    2
}
/// A heading. Level 1 headings outside parts (编写说明, 课题组织架构) may start a new page.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heading {
    pub title: String,
    #[serde(default = "default_level")]
    pub level: u8,
    #[serde(default = "yes")]
    pub outlined: bool,
    #[serde(default)]
    pub new_page: bool,
}

impl Block for Heading {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        if !(1..=3).contains(&self.level) {
            return Err(format!("level {} is not 1, 2 or 3", self.level));
        }
        cx.push(Element::Heading {
            level: self.level,
            title: self.title.clone(),
            outlined: self.outlined,
            new_page: self.new_page,
        });
        Ok(())
    }
}

/// Narrative text from a file of the report folder (optionally one passage of it), with the
/// headings and directives written in it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NarrativeBlock {
    pub file: String,
    #[serde(default)]
    pub passage: Option<String>,
}

impl NarrativeBlock {
    fn paras(&self, n: &crate::narrative::Narrative) -> Result<Vec<Para>, String> {
        let paras = n.passage(self.passage.as_deref()).ok_or_else(|| {
            let names: Vec<&str> = n
                .passages
                .iter()
                .filter_map(|p| p.name.as_deref())
                .collect();
            format!(
                "{} has no passage `{}`; {}",
                self.file,
                self.passage.as_deref().unwrap_or_default(),
                if names.is_empty() {
                    "it names no passages (a passage starts with a line `@passage <name>`)"
                        .to_owned()
                } else {
                    format!("its passages are {}", names.join(", "))
                }
            )
        })?;
        Ok(paras.into_iter().cloned().collect())
    }
}

impl Block for NarrativeBlock {
    fn crosstabs(&self, env: &Env) -> Result<Vec<CrossTabNeed>, String> {
        env.including(&self.what(), || self.crosstabs_within(env))
    }

    fn build(&self, cx: &mut Context) -> Result<(), String> {
        cx.including(&self.what(), |cx| {
            let n = cx.narrative(&self.file)?;
            let paras = self.paras(&n)?;
            cx.paras(&n.file, &paras)
        })
    }
}

impl NarrativeBlock {
    /// What this inclusion names: the file, or `file#passage`.
    fn what(&self) -> String {
        match &self.passage {
            Some(p) => format!("{}#{p}", self.file),
            None => self.file.clone(),
        }
    }

    fn crosstabs_within(&self, env: &Env) -> Result<Vec<CrossTabNeed>, String> {
        let n = env.narrative(&self.file)?;
        let mut out = Vec::new();
        for p in self.paras(&n)? {
            if let Para::Directive(d) = p {
                let at = format!("{}:{}", n.file.display(), d.line);
                let b = env
                    .registry
                    .directive(&d)
                    .map_err(|e| format!("{at}: @{}: {e}", d.kind))?;
                let here = format!("{at}: @{}", d.kind);
                out.extend(
                    b.crosstabs(env)
                        .map_err(|e| format!("{here}: {e}"))?
                        .into_iter()
                        .map(|need| CrossTabNeed {
                            at: need.at.or_else(|| Some(here.clone())),
                            ..need
                        }),
                );
            }
        }
        Ok(out)
    }
}

/// The committee list, from a TOML file of the report folder.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Committee {
    pub file: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommitteeFile {
    groups: Vec<Group>,
    #[serde(default)]
    notes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
    role: String,
    members: Vec<Member>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Member {
    #[serde(default)]
    organisation: Option<String>,
    names: Vec<String>,
}

impl Block for Committee {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        let text = cx.folder.read_printable(&self.file)?;
        let c: CommitteeFile = toml::from_str(&text).map_err(|e| {
            format!(
                "{}: {}",
                cx.shown(&self.file).display(),
                crate::toml_error(&text, &e)
            )
        })?;
        cx.push(Element::Committee(CommitteeElement {
            groups: c
                .groups
                .into_iter()
                .map(|g| CommitteeGroup {
                    role: g.role,
                    members: g
                        .members
                        .into_iter()
                        .map(|m| CommitteeMember {
                            organisation: m.organisation,
                            names: m.names,
                        })
                        .collect(),
                })
                .collect(),
            notes: c.notes,
        }));
        Ok(())
    }
}

fn toc_title() -> String {
    "目录".into()
}
fn toc_depth() -> u8 {
    2
}

/// The table of contents.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Toc {
    #[serde(default = "toc_title")]
    pub title: String,
    #[serde(default = "toc_depth")]
    pub depth: u8,
}

impl Block for Toc {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        if !(1..=3).contains(&self.depth) {
            return Err(format!("depth {} is not 1, 2 or 3", self.depth));
        }
        cx.push(Element::Toc {
            title: self.title.clone(),
            depth: self.depth,
        });
        Ok(())
    }
}

/// A page break.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageBreak {}

impl Block for PageBreak {
    fn build(&self, cx: &mut Context) -> Result<(), String> {
        cx.push(Element::PageBreak);
        Ok(())
    }
}
