//! The service evaluation and compliment pages send centres and ratings as data
//! (docs/FORMATS.md §10): the evaluation picks its agency and centre with a GET form, then
//! answers the questionnaire that applies there, labelled in the page's language from the
//! operator's file; the compliment may name a centre. Refused forms come back whole.

use sqlx::Row;

use crate::helpers::{contains_bytes, files_under, find_grouped_code, open_db, Deployment, KeyGen, TestApp};

/// The same text in all eight languages but Arabic and English.
fn texts(ar: &str, en: &str) -> String {
    format!(
        r#"{{ ar = "{ar}", en = "{en}", fr = "{en}", ur = "{ar}", hi = "{en}", fa = "{ar}", bn = "{en}", fil = "{en}" }}"#
    )
}

/// Two questionnaires (the hospital's has its own questions) and two centres.
fn services_file() -> String {
    let t = texts;
    format!(
        r#"default_questionnaire = "office"

[[questionnaire]]
id = "office"
version = 1
title = {}
[[questionnaire.criterion]]
id = "waiting_time"
question = {}
[[questionnaire.criterion]]
id = "staff"
question = {}

[[questionnaire]]
id = "hospital"
version = 2
title = {}
[[questionnaire.criterion]]
id = "cleanliness"
question = {}
[[questionnaire.criterion]]
id = "waiting_time"
question = {}

[[centre]]
id = "irbid-hospital"
agency = "health"
name = {}
place = {{ en = "Irbid" }}
questionnaire = "hospital"

[[centre]]
id = "north-licensing"
agency = "transport"
name = {}
place = {{ en = "North" }}
"#,
        t("مكتب", "Office"),
        t("وقت الانتظار", "Waiting time"),
        t("الموظفون", "Staff"),
        t("مستشفى", "Hospital"),
        t("النظافة", "Cleanliness"),
        t("وقت الانتظار", "Waiting time"),
        t("مستشفى إربد", "Irbid Hospital"),
        t("ترخيص الشمال", "North Licensing"),
    )
}

fn app_with_centres(env: &[(&str, &str)]) -> TestApp {
    let dep = Deployment::standard(KeyGen::InProcess);
    let path = dep.root().join("services.toml");
    std::fs::write(&path, services_file()).expect("services file");
    let path = path.to_str().expect("utf-8").to_string();
    let env: Vec<(&str, &str)> = env.iter().copied().chain([("AMANA_SERVICES", path.as_str())]).collect();
    TestApp::start(dep, &env)
}

async fn text_of(app: &TestApp, path: &str) -> String {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), 200, "GET {path}");
    resp.text().await.expect("page")
}

fn multipart(fields: &[(&str, &str)]) -> reqwest::multipart::Form {
    fields.iter().fold(reqwest::multipart::Form::new(), |f, (k, v)| f.text(k.to_string(), v.to_string()))
}

async fn post(app: &TestApp, lang: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let resp = app
        .client
        .post(app.url(&format!("/{lang}/report")))
        .multipart(multipart(fields))
        .send()
        .await
        .expect("post");
    (resp.status().as_u16(), resp.text().await.expect("page"))
}

/// Every case's centre, and every rating row, read straight from the SQLite file.
async fn stored(app: &TestApp) -> (Vec<Option<String>>, Vec<(String, i64, String, Option<i64>)>) {
    let pool = open_db(&app.dep.db_path()).await;
    let centres = sqlx::query("SELECT centre FROM cases")
        .fetch_all(&pool)
        .await
        .expect("cases")
        .iter()
        .map(|r| r.get::<Option<String>, _>("centre"))
        .collect();
    let ratings = sqlx::query(
        "SELECT questionnaire, version, criterion, value FROM ratings ORDER BY questionnaire, criterion",
    )
    .fetch_all(&pool)
    .await
    .expect("ratings")
    .iter()
    .map(|r| (r.get("questionnaire"), r.get("version"), r.get("criterion"), r.get("value")))
    .collect();
    pool.close().await;
    (centres, ratings)
}

#[tokio::test]
async fn an_evaluation_through_the_page_stores_its_centre_and_ratings_and_keeps_the_comment_sealed() {
    let app = app_with_centres(&[]);
    for (lang, question, comment) in [
        ("ar", "النظافة", "تعليق-سري الطابور طويل"),
        ("en", "Cleanliness", "SECRET-COMMENT the queue was long"),
    ] {
        // Step one: only the GET form that picks the place; no question yet.
        let first = text_of(&app, &format!("/{lang}/report/service_evaluation")).await;
        assert!(first.contains(r#"method="get" action=""#), "{lang}: {first}");
        assert!(first.contains(r#"<optgroup label="#) && first.contains(r#"value="irbid-hospital""#));
        assert!(!first.contains("rating_"), "{lang}: questions before the place is chosen");

        // Step two: the hospital's own questions, in the page's language, from the file.
        let path = format!("/{lang}/report/service_evaluation?agency=health&centre=irbid-hospital");
        let form = text_of(&app, &path).await;
        assert!(form.contains(&format!(r#"lang="{lang}">{question}</legend>"#)), "{lang}: {form}");
        assert!(form.contains(r#"name="rating_cleanliness""#) && !form.contains(r#"name="rating_staff""#));
        assert!(form.contains(r#"type="hidden" name="centre" value="irbid-hospital""#), "{form}");
        assert!(form.contains(r#"type="hidden" name="agency" value="health""#), "{form}");
        assert!(form.contains("?agency=health&amp;centre=irbid-hospital"), "language links keep the place");

        let (status, page) = post(
            &app,
            lang,
            &[
                ("kind", "service_evaluation"),
                ("agency", "health"),
                ("centre", "irbid-hospital"),
                ("rating_cleanliness", "4"),
                ("rating_waiting_time", "na"),
                ("body", comment),
                ("t", &crate::hardening::form_token(&form)),
            ],
        )
        .await;
        assert_eq!(status, 201, "{lang}: {page}");
        assert!(find_grouped_code(&page).is_some(), "{lang}: no code");
    }
    let (centres, ratings) = stored(&app).await;
    assert_eq!(centres, [Some("irbid-hospital".to_string()), Some("irbid-hospital".to_string())]);
    let row = |c: &str, v: Option<i64>| ("hospital".to_string(), 2, c.to_string(), v);
    assert_eq!(
        ratings,
        [
            row("cleanliness", Some(4)),
            row("cleanliness", Some(4)),
            row("waiting_time", None),
            row("waiting_time", None)
        ]
    );
    for file in files_under(&app.dep.data_dir()) {
        let bytes = std::fs::read(&file).expect("read");
        for needle in ["تعليق-سري", "SECRET-COMMENT", "Rating — "] {
            assert!(!contains_bytes(&bytes, needle.as_bytes()), "`{needle}` in clear in {}", file.display());
        }
    }

    // Without a centre: the agency's questionnaire (here the default).
    let office = text_of(&app, "/en/report/service_evaluation?agency=transport&centre=").await;
    assert!(office.contains(r#"name="rating_staff""#) && !office.contains("rating_cleanliness"), "{office}");
}

#[tokio::test]
async fn a_compliment_may_name_a_centre_and_other_kinds_never_show_one() {
    let app = app_with_centres(&[]);
    let form = text_of(&app, "/en/report/compliment").await;
    assert!(
        form.contains(r#"name="centre""#) && form.contains(r#"<option value="north-licensing""#),
        "{form}"
    );
    for kind in ["violation", "complaint", "suggestion", "inquiry"] {
        let other = text_of(&app, &format!("/en/report/{kind}")).await;
        assert!(!other.contains(r#"name="centre""#), "{kind} shows a centre");
    }
    let complaint = text_of(&app, "/en/report/complaint").await;
    assert!(complaint.contains("Name the service centre in your text"), "{complaint}");

    let praise = [("kind", "compliment"), ("agency", "transport"), ("body", "The clerk was kind")];
    // A centre of another agency: the form again with the reason, every word kept.
    let fields: Vec<_> = praise.iter().copied().chain([("centre", "irbid-hospital")]).collect();
    let (status, page) = post(&app, "en", &fields).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("not one of the chosen agency") && page.contains("The clerk was kind"), "{page}");
    assert_eq!(app.count_rows("cases").await, 0);

    let fields: Vec<_> = praise.iter().copied().chain([("centre", "north-licensing")]).collect();
    let (status, page) = post(&app, "en", &fields).await;
    assert_eq!(status, 201, "{page}");
    let (status, page) = post(&app, "en", &praise).await;
    assert_eq!(status, 201, "no centre: {page}");
    let (mut centres, ratings) = stored(&app).await;
    centres.sort();
    assert_eq!(centres, [None, Some("north-licensing".to_string())]);
    assert!(ratings.is_empty());
}

#[tokio::test]
async fn a_refused_evaluation_comes_back_with_every_answer_and_the_comment() {
    let app = app_with_centres(&[("AMANA_MIN_FILL_SECS", "3")]);
    let form = text_of(&app, "/ar/report/service_evaluation?agency=health&centre=irbid-hospital").await;
    let comment = "الطابور طويل <b>جدا</b>";
    let typed = [
        ("kind", "service_evaluation"),
        ("agency", "health"),
        ("centre", "irbid-hospital"),
        ("rating_cleanliness", "2"),
        ("rating_waiting_time", "na"),
        ("body", comment),
        ("contact", "signal: +000"),
    ];
    let token = crate::hardening::form_token(&form);

    // Sent at once: the form again (422), every answer checked, the comment and contact kept.
    let fields: Vec<_> = typed.iter().copied().chain([("t", token.as_str())]).collect();
    let (status, page) = post(&app, "ar", &fields).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains(r#"name="rating_cleanliness" value="2" checked"#), "{page}");
    assert!(page.contains(r#"name="rating_waiting_time" value="na" checked"#), "{page}");
    assert!(page.contains("الطابور طويل &lt;b&gt;جدا&lt;/b&gt;</textarea>"), "{page}");
    assert!(page.contains(r#"value="signal: +000""#));
    assert!(page.contains(r#"type="hidden" name="centre" value="irbid-hospital""#));
    assert!(find_grouped_code(&page).is_none(), "false success");
    // The re-shown form's token is never refused for speed.
    let again = crate::hardening::form_token(&page);
    let with = |replace: (&'static str, &'static str)| -> Vec<(&str, &str)> {
        let fields = typed.iter().map(|&(k, v)| if k == replace.0 { (k, replace.1) } else { (k, v) });
        fields.chain([("t", again.as_str())]).filter(|(_, v)| !v.is_empty()).collect()
    };

    // One answer missing: the form again (400) with the other answer and the comment.
    let (status, page) = post(&app, "ar", &with(("rating_cleanliness", ""))).await;
    assert_eq!(status, 400, "{page}");
    assert!(
        page.contains(r#"name="rating_waiting_time" value="na" checked"#) && page.contains("&lt;b&gt;جدا")
    );

    // A tampered centre (another agency's): the form for the agency alone, with the reason.
    let (status, page) = post(&app, "en", &with(("centre", "north-licensing"))).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("not one of the chosen agency") && page.contains("&lt;b&gt;جدا"), "{page}");
    assert!(page.contains(r#"type="hidden" name="centre" value="""#), "the bad centre is dropped");

    // An answer to a question of another questionnaire: refused, the form again.
    let mut fields = with(("", ""));
    fields.push(("rating_staff", "3"));
    let (status, page) = post(&app, "en", &fields).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("&lt;b&gt;جدا") && find_grouped_code(&page).is_none(), "{page}");
    // A field no questionnaire has: refused before anything is read (unknown fields stay so).
    let mut fields = with(("", ""));
    fields.push(("rating_bogus", "3"));
    let (status, _) = post(&app, "en", &fields).await;
    assert_eq!(status, 400);
    // The same form, untouched, is stored: the refusals above were for what they say.
    let (status, page) = post(&app, "en", &with(("", ""))).await;
    assert_eq!(status, 201, "{page}");
    assert_eq!(app.count_rows("cases").await, 1);
    assert_eq!(app.count_rows("ratings").await, 2);
}
