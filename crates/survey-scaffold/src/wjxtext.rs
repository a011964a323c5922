//! 问卷星's plain-text questionnaire format (批量导入 / 文本导入), read for the question types
//! and the option order a download cannot give:
//!
//! ```text
//! 1. 您的性别*[单选题]
//! 男
//! 女
//!
//! 4. 请评价以下方面[矩阵单选题]
//! 非常不满意 不满意 一般 满意 非常满意
//! 食堂
//! 宿舍
//! ```
//!
//! A blank line ends a question; the type tag in brackets ends its first line; `*` marks a
//! required question and `（选填）` an optional one; the lines after it are options, or for a
//! matrix the column labels (separated by spaces) and then one row per line. The format of
//! 问卷星's API (`行：`/`列：` blocks with `- ` items) is read too. Questions are numbered in
//! order, as 问卷星 numbers them, unless the line gives a number.

/// A question type as the text names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextKind {
    Single,
    Multiple,
    /// 填空题, 问答题.
    FillIn,
    /// 多项填空题: several blanks, one column each.
    MultiFill,
    /// 矩阵单选题, 矩阵量表题: one single-choice column per row.
    MatrixSingle,
    /// 矩阵多选题: one multiple-choice column per row (its options joined with ┋).
    MatrixMultiple,
    /// 量表题, 评分单选: a single choice on a scale.
    Scale,
    /// 排序题.
    Ranking,
    /// Any other tag, kept as written.
    Other(String),
}

/// One question of the text.
#[derive(Debug, Clone, PartialEq)]
pub struct TextQuestion {
    pub number: u32,
    pub text: String,
    pub kind: TextKind,
    /// `Some(true)` with `*`, `Some(false)` with `（选填）` or, in a text marking some
    /// questions with `*`, without it.
    pub required: Option<bool>,
    pub options: Vec<String>,
    /// Options written with a fill-in (`其他〖〗`, `其他【请注明】`): “other, please specify”.
    pub fill_ins: Vec<bool>,
    /// Matrix rows.
    pub rows: Vec<String>,
    /// 1-based line of the question in the file.
    pub line: usize,
}

/// A parsed questionnaire text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TextQuestionnaire {
    /// The first line, when it is not a question (the survey's title).
    pub title: Option<String>,
    pub questions: Vec<TextQuestion>,
}

impl TextQuestionnaire {
    pub fn question(&self, number: u32) -> Option<&TextQuestion> {
        self.questions.iter().find(|q| q.number == number)
    }
}

fn kind_of(tag: &str) -> Option<TextKind> {
    let t = tag.trim();
    Some(match t {
        "单选题" | "下拉框" | "判断题" => TextKind::Single,
        "多选题" => TextKind::Multiple,
        "填空题" | "问答题" | "简答题" => TextKind::FillIn,
        "多项填空题" | "表格题" => TextKind::MultiFill,
        "矩阵题" | "矩阵单选题" | "矩阵量表题" | "矩阵反向量表题" => {
            TextKind::MatrixSingle
        }
        "矩阵多选题" => TextKind::MatrixMultiple,
        "量表题" | "反向量表题" | "评分单选" | "NPS量表" => TextKind::Scale,
        "排序题" => TextKind::Ranking,
        // 问卷星's slider names no 题 (trial 42: «…（0-100）*[滑动条]» went unseen).
        "滑动条" => TextKind::Other(t.to_owned()),
        "段落说明" | "分页栏" | "标签" => return None,
        other if other.ends_with('题') => TextKind::Other(other.to_owned()),
        _ => return None,
    })
}

/// The last `[…]` or `【…】` of a line that names a type: (line without it, kind or `None` for
/// a section break / paragraph).
fn tag(line: &str) -> Option<(String, Option<TextKind>)> {
    for (open, close) in [('[', ']'), ('【', '】')] {
        if let Some(end) = line.rfind(close)
            && let Some(start) = line[..end].rfind(open)
        {
            let inner = &line[start + open.len_utf8()..end];
            if inner.ends_with('题')
                || matches!(
                    inner.trim(),
                    "段落说明" | "分页栏" | "标签" | "下拉框" | "评分单选" | "NPS量表" | "滑动条"
                )
            {
                let mut rest = String::new();
                rest.push_str(&line[..start]);
                rest.push_str(&line[end + close.len_utf8()..]);
                return Some((rest, kind_of(inner)));
            }
        }
    }
    None
}

/// A scale's scores written as a range, `0~10`, `1～5`, `1-5分`: (0, 10). At most 0 to 100.
fn score_range(s: &str) -> Option<(u32, u32)> {
    let t = s.trim().trim_end_matches('分').trim();
    let (a, b) = t.split_once(['~', '～', '-', '—', '－', '至'])?;
    let (lo, hi): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (lo < hi && hi <= 100).then_some((lo, hi))
}

/// `1. 题干` / `1、题干` / `Q1:题干` → (Some(1), 题干).
fn number_prefix(s: &str) -> (Option<u32>, &str) {
    let t = s.trim_start();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if digits > 0 && digits <= 4 {
        let rest = &t[digits..];
        for sep in [". ", ".", "、", "．", "）", ")"] {
            if let Some(r) = rest.strip_prefix(sep) {
                return (t[..digits].parse().ok(), r.trim_start());
            }
        }
    }
    (None, t)
}

/// Strip `Q1:` / `Q1：` before a title.
fn strip_q(s: &str) -> &str {
    let t = s.trim_start();
    if let Some(r) = t.strip_prefix(['Q', 'q']) {
        let d = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        if d > 0 {
            let rest = &r[d..];
            for sep in [":", "：", ".", "、"] {
                if let Some(x) = rest.strip_prefix(sep) {
                    return x.trim_start();
                }
            }
        }
    }
    t
}

/// Parse the text of a questionnaire.
pub fn parse(text: &str) -> Result<TextQuestionnaire, String> {
    let mut out = TextQuestionnaire::default();
    let mut next = 1u32;
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim().trim_start_matches('\u{feff}');
        if line.is_empty() {
            i += 1;
            continue;
        }
        match tag(line) {
            None => {
                // Not a question: the title (first such line) or an explanation.
                if out.title.is_none() && out.questions.is_empty() {
                    out.title = Some(line.to_owned());
                }
                i += 1;
                while i < lines.len()
                    && !lines[i].trim().is_empty()
                    && tag(lines[i].trim()).is_none()
                {
                    i += 1;
                }
            }
            Some((_, None)) => {
                i += 1;
                while i < lines.len()
                    && !lines[i].trim().is_empty()
                    && tag(lines[i].trim()).is_none()
                {
                    i += 1;
                }
            }
            Some((head, Some(kind))) => {
                let line_no = i + 1;
                let (num, title) = number_prefix(&head);
                let mut title = strip_q(title).trim().to_owned();
                let mut required = None;
                if title.contains('*') {
                    required = Some(true);
                    title = title.replace('*', "").trim().to_owned();
                }
                for optional in ["（选填）", "(选填)"] {
                    if title.contains(optional) || head.contains(optional) {
                        required = Some(false);
                        title = title.replace(optional, "").trim().to_owned();
                    }
                }
                let number = num.unwrap_or(next);
                next = number + 1;
                i += 1;
                let mut body = Vec::new();
                while i < lines.len() && !lines[i].trim().is_empty() {
                    if tag(lines[i].trim()).is_some() {
                        break;
                    }
                    body.push(lines[i].trim().to_owned());
                    i += 1;
                }
                let (options, rows) = match kind {
                    TextKind::MatrixSingle | TextKind::MatrixMultiple => matrix_body(&body),
                    TextKind::FillIn | TextKind::MultiFill => (Vec::new(), Vec::new()),
                    _ => (
                        body.iter()
                            .map(|b| b.trim_start_matches("- ").trim().to_owned())
                            .filter(|b| !without_note(b).is_empty())
                            .collect(),
                        Vec::new(),
                    ),
                };
                let mut fill_ins: Vec<bool> = options
                    .iter()
                    .map(|o: &String| {
                        without_note(o) != o
                            && !matches!(kind, TextKind::MatrixSingle | TextKind::MatrixMultiple)
                    })
                    .collect();
                let mut options: Vec<String> =
                    options.iter().map(|o| without_note(o).to_owned()).collect();
                // A scale written as its range (`0~10`, `1-5分`): each step an option.
                if matches!(kind, TextKind::Scale) && options.len() == 1 {
                    match score_range(&options[0]) {
                        Some((lo, hi)) => {
                            options = (lo..=hi).map(|k| k.to_string()).collect();
                            fill_ins = vec![false; options.len()];
                        }
                        None => {
                            return Err(format!(
                                "line {}: the scale «{title}» lists one option («{}»); list each step on a line of its own, or the scores as a range such as 0~10",
                                line_no + 1,
                                options[0]
                            ));
                        }
                    }
                }
                if matches!(
                    kind,
                    TextKind::Single | TextKind::Multiple | TextKind::Scale
                ) && options.is_empty()
                {
                    return Err(format!(
                        "line {line_no}: the question «{title}» is a choice question but lists no options on the lines after it"
                    ));
                }
                out.questions.push(TextQuestion {
                    number,
                    text: title,
                    kind,
                    required,
                    options,
                    fill_ins,
                    rows,
                    line: line_no,
                });
            }
        }
    }
    if out.questions.is_empty() {
        return Err("no question found: a question line ends with its type in brackets, e.g. `1. 您的性别[单选题]`".into());
    }
    // 问卷星 marks every required question with `*`: in a text that marks some, a question
    // without the mark is optional. (A text that marks none says nothing either way.)
    if out.questions.iter().any(|q| q.required == Some(true)) {
        for q in &mut out.questions {
            q.required.get_or_insert(false);
        }
    }
    Ok(out)
}

/// A matrix body: web form (column labels on the first line, then rows) or API form (`行：`,
/// `- item`, `列：`, or a `1~5` scale).
fn matrix_body(body: &[String]) -> (Vec<String>, Vec<String>) {
    // `行：` or `列：` alone on its line: a row named 行政楼 is no marker (trial 47).
    let marker = |b: &str, m: &str| {
        b.trim()
            .strip_prefix(m)
            .is_some_and(|r| r.trim().trim_start_matches(['：', ':']).trim().is_empty())
    };
    if body.iter().any(|b| marker(b, "行") || marker(b, "列")) {
        let (mut rows, mut cols) = (Vec::new(), Vec::new());
        let mut in_rows = true;
        for b in body {
            if marker(b, "行") {
                in_rows = true;
            } else if marker(b, "列") {
                in_rows = false;
            } else if let Some(item) = b.strip_prefix("- ") {
                if in_rows {
                    rows.push(item.trim().to_owned());
                } else {
                    cols.push(item.trim().to_owned());
                }
            } else if let Some((a, z)) = b.split_once('~')
                && let (Ok(a), Ok(z)) = (a.trim().parse::<i32>(), z.trim().parse::<i32>())
            {
                cols = (a..=z).map(|k| k.to_string()).collect();
            }
        }
        return (cols, rows);
    }
    match body.split_first() {
        // The scale's labels on the first line, separated by spaces; a first line of one
        // word is a row of a matrix written without its scale (the options then come from
        // the data).
        // A row may carry the form's radio marks after it, tab-separated, as a questionnaire
        // saved as text draws its table (`挂号预约	○	○	○`): they are no part of the row.
        Some((first, rest)) if first.split_whitespace().count() > 1 => (
            first.split_whitespace().map(str::to_owned).collect(),
            rest.iter().map(|r| without_marks(r)).collect(),
        ),
        Some(_) => (Vec::new(), body.to_vec()),
        None => (Vec::new(), Vec::new()),
    }
}

/// A matrix row without the radio or check marks drawn after it.
fn without_marks(row: &str) -> String {
    let mut words: Vec<&str> = row.split(['\t']).collect();
    while words.len() > 1
        && words.last().is_some_and(|w| {
            let w = w.trim();
            w.is_empty() || w.chars().all(|c| "○●◯□■☐☑".contains(c))
        })
    {
        words.pop();
    }
    words.join("\t").trim().to_owned()
}

/// An option's label without the note asking for a fill-in (`其他【请注明】` → `其他`): the note
/// is an instruction to respondents, not part of the answer a table prints.
pub(crate) fn without_note(option: &str) -> &str {
    const NOTES: [&str; 8] = [
        "【请注明】",
        "（请注明）",
        "(请注明)",
        "【请填写】",
        "（请填写）",
        "(请填写)",
        "〖〗",
        "____",
    ];
    NOTES
        .iter()
        .find_map(|n| option.strip_suffix(n))
        .map(|s| s.trim_end_matches(['_', ' ', '：', ':']))
        .filter(|s| !s.is_empty())
        .unwrap_or(option)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scale_written_as_its_range_is_every_step() {
        // Trial 36: «0~10» under an NPS 量表题 became one option «0~10», and the build then
        // stopped at every row («option number 10 does not exist»).
        let q = parse(
            "调查\n\n1. 您向同行推荐本系统的可能性[量表题]\n0~10\n\n2. 满意度[量表题]\n1-5分\n",
        )
        .unwrap();
        assert_eq!(q.questions[0].options.len(), 11);
        assert_eq!(q.questions[0].options[10], "10");
        assert_eq!(q.questions[0].fill_ins, vec![false; 11]);
        assert_eq!(q.questions[1].options, ["1", "2", "3", "4", "5"]);
        let e = parse("调查\n\n1. 满意度[量表题]\n满意\n").unwrap_err();
        assert!(
            e.starts_with("line 4: the scale «满意度» lists one option («满意»)"),
            "{e}"
        );
    }

    #[test]
    fn a_matrix_row_named_with_hang_is_a_row_not_the_api_marker() {
        // Trial 47: a row «行政楼» was read as the API form's `行：`, and the matrix lost the
        // scale its first line gives.
        let q = parse(
            "调查\n\n1. 各楼宇的接入情况[矩阵多选题]\n能耗计量 环境监测 尚未接入\n门诊楼\n行政楼\n列车站\n",
        )
        .unwrap();
        assert_eq!(q.questions[0].options, ["能耗计量", "环境监测", "尚未接入"]);
        assert_eq!(q.questions[0].rows, ["门诊楼", "行政楼", "列车站"]);
        // The API form still reads.
        let q =
            parse("调查\n\n1. 满意度[矩阵单选题]\n行：\n- 门诊\n- 住院\n列：\n- 满意\n- 不满意\n")
                .unwrap();
        assert_eq!(q.questions[0].rows, ["门诊", "住院"]);
        assert_eq!(q.questions[0].options, ["满意", "不满意"]);
    }

    #[test]
    fn a_slider_is_a_type_of_its_own() {
        // Trial 42: [滑动条] names no 题, and the question was read as untyped.
        let q = parse(
            "调查\n\n1. 建设成熟度自评（0-100）*[滑动条]\n\n2. 收入构成*[比重题]\n药品\n其他\n",
        )
        .unwrap();
        assert_eq!(q.questions[0].kind, TextKind::Other("滑动条".into()));
        assert_eq!(q.questions[0].text, "建设成熟度自评（0-100）");
        assert_eq!(q.questions[1].kind, TextKind::Other("比重题".into()));
    }

    #[test]
    fn the_web_import_format() {
        let t = "校园调查\n\n1. 您的性别*[单选题]\n男\n女\n\n2. Q2:您的年龄[填空题]\n\n\n3. 您平时通过哪些渠道了解新闻？*[多选题]\n微信公众号\n微博\n其他\n\n4. 请评价以下方面[矩阵单选题]\n非常不满意 不满意 一般 满意 非常满意\n食堂\n宿舍\n\n[分页栏]\n\n5. 您还有什么建议？[填空题]（选填）\n";
        let q = parse(t).unwrap();
        assert_eq!(q.title.as_deref(), Some("校园调查"));
        assert_eq!(q.questions.len(), 5);
        assert_eq!(q.questions[0].text, "您的性别");
        assert_eq!(q.questions[0].required, Some(true));
        assert_eq!(q.questions[0].options, ["男", "女"]);
        assert_eq!(q.questions[1].text, "您的年龄");
        assert_eq!(q.questions[1].kind, TextKind::FillIn);
        assert_eq!(q.questions[2].kind, TextKind::Multiple);
        assert_eq!(q.questions[3].kind, TextKind::MatrixSingle);
        assert_eq!(q.questions[3].options.len(), 5);
        assert_eq!(q.questions[3].rows, ["食堂", "宿舍"]);
        // Saved as text from the form, a matrix row carries its radio marks.
        let t =
            "1. 请评价[矩阵单选题]\n\t很不满意\t一般\t很满意\n挂号预约\t○\t○\t○\n候诊\t○\t○\t○\n";
        let m = parse(t).unwrap();
        assert_eq!(m.questions[0].options, ["很不满意", "一般", "很满意"]);
        assert_eq!(m.questions[0].rows, ["挂号预约", "候诊"]);
        assert_eq!(q.questions[4].number, 5);
        assert_eq!(q.questions[4].required, Some(false));
    }

    #[test]
    fn a_choice_question_without_options_is_refused() {
        let e = parse("1. 医院级别[单选题]\n\n2. 其他[填空题]\n").unwrap_err();
        assert!(e.starts_with("line 1:"), "{e}");
    }
}
