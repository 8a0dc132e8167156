//! The report's words in its two languages. A small table rather than the server's locale
//! files: the reviewer's tool carries no locales, and a minister's report needs only these.

/// The report's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ar,
    En,
}

impl Lang {
    /// `--lang ar|en`.
    pub fn parse(s: &str) -> Result<Lang, String> {
        match s {
            "ar" => Ok(Lang::Ar),
            "en" => Ok(Lang::En),
            _ => Err(format!("`{s}`: the report is written in Arabic (ar) or English (en)")),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::En => "en",
        }
    }

    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            Lang::En => "ltr",
        }
    }
}

/// `(key, Arabic, English)`.
const LABELS: &[(&str, &str, &str)] = &[
    ("title", "تقرير غرفة العمليات", "Operations room report"),
    ("period", "الفترة", "Period"),
    ("all_time", "كل الحالات المحفوظة", "All cases held"),
    ("made_on", "أُعِدّ في", "Prepared on"),
    ("summary", "الملخص", "Summary"),
    ("by_agency", "حسب الجهة", "By agency"),
    ("by_centre", "حسب مركز الخدمة", "By service centre"),
    ("by_kind", "حسب النوع", "By kind"),
    ("weekly", "الاتجاه الأسبوعي", "Weekly trend"),
    ("criteria", "معايير التقييم حسب المركز", "Evaluation criteria by centre"),
    ("public", "تقييمات الجمهور", "Public ratings"),
    ("commissioned", "الزيارات المكلَّفة", "Commissioned visits"),
    ("improvement", "فترات التحسين", "Improvement periods"),
    ("agency", "الجهة", "Agency"),
    ("centre", "المركز", "Centre"),
    ("kind", "النوع", "Kind"),
    ("all", "الكل", "All"),
    ("received", "المستلَمة", "Received"),
    ("on_time", "تأكيد الاستلام في الموعد", "Acknowledged on time"),
    ("median_ack", "وسيط أيام تأكيد الاستلام", "Median days to acknowledge"),
    ("median_feedback", "وسيط أيام الرد", "Median days to feedback"),
    ("open", "مفتوحة", "Open"),
    ("overdue", "متأخرة", "Overdue"),
    ("escalated", "مُصعَّدة", "Escalated"),
    ("closed_action_taken", "أُغلقت: اتُّخذ إجراء", "Closed: action taken"),
    ("closed_unfounded", "أُغلقت: غير مؤسَّسة", "Closed: unfounded"),
    ("closed_referred", "أُغلقت: أُحيلت", "Closed: referred"),
    ("satisfaction", "الرضا (المتوسط، العدد)", "Satisfaction (mean, n)"),
    ("week", "الأسبوع", "Week"),
    ("criterion", "المعيار", "Criterion"),
    ("mean_n", "المتوسط من 5 (العدد)", "Mean of 5 (n)"),
    ("reason", "السبب", "Reason"),
    ("deadline", "الموعد النهائي", "Deadline"),
    ("opened", "فُتحت", "Opened"),
    ("closed", "أُغلقت", "Closed"),
    ("before", "قبل", "Before"),
    ("after", "بعد", "After"),
    ("none", "لا يوجد", "None"),
    ("chart_received", "الحالات المستلَمة لكل جهة", "Cases received per agency"),
    ("chart_on_time", "نسبة تأكيد الاستلام في الموعد كل أسبوع", "Share acknowledged on time, per week"),
    (
        "note_counts",
        "تظهر الأعداد الأقل من {k} على شكل ‎<{k}‎، وتُقرَّب الأعداد الأخرى إلى أقرب مضاعف للعدد 5، ولا يظهر متوسط أو وسيط أو نسبة إلا إذا قام على {k} حالات على الأقل.",
        "Counts below {k} are shown as <{k}; other counts are rounded to the nearest 5; a mean, median or share is shown only when it rests on at least {k} cases.",
    ),
    (
        "note_excluded",
        "لا يتضمن هذا التقرير الحالات المرسلة إلى جهة الرقابة وحدها، ولا الحالات المغلقة بوصفها رسائل عبثية، ولا أي أرقام عن الموظفين أفرادًا.",
        "This report leaves out cases sent to oversight only, cases closed as junk, and any figure about individual officers.",
    ),
    (
        "note_source",
        "الأرقام مستخرجة من البيانات الوصفية الموثَّقة للحالات المحفوظة لدى المراجِع، دون فك تشفير أي محتوى.",
        "Figures come from the verified metadata of the cases the reviewer's home holds; nothing was decrypted.",
    ),
];

/// Kind names, `(kind, Arabic, English)`.
const KINDS: &[(&str, &str, &str)] = &[
    ("violation", "بلاغ عن مخالفة أو فساد", "Violation or corruption report"),
    ("complaint", "شكوى", "Complaint"),
    ("suggestion", "اقتراح", "Suggestion"),
    ("compliment", "شكر وثناء", "Compliment"),
    ("inquiry", "استفسار", "Inquiry"),
    ("service_evaluation", "تقييم خدمة", "Service evaluation"),
];

fn pick(table: &[(&str, &'static str, &'static str)], key: &str, lang: Lang) -> Option<&'static str> {
    table.iter().find(|(k, _, _)| *k == key).map(|(_, ar, en)| if lang == Lang::Ar { *ar } else { *en })
}

/// A label (the key itself if the table lacks it, which a unit test rules out).
pub fn label(lang: Lang, key: &str) -> String {
    pick(LABELS, key, lang).unwrap_or(key).to_string()
}

/// A kind's name (the id for a kind this version does not know).
pub fn kind(lang: Lang, id: &str) -> String {
    pick(KINDS, id, lang).unwrap_or(id).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_both_names() {
        for k in amana_core::case::Kind::ALL {
            assert_ne!(kind(Lang::Ar, k.as_str()), k.as_str(), "{k}");
            assert_ne!(kind(Lang::En, k.as_str()), k.as_str(), "{k}");
        }
        assert!(Lang::parse("fr").is_err());
    }
}
