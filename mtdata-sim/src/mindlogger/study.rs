//! The synthetic MindLogger study both simulators serve: accounts, applets with their encryption, activities and
//! items, respondents with their key pairs, and answers encrypted the way the apps do it (reference §4.3–§4.5).
//!
//! Everything is drawn from one seed, so the same options give the same ids, keys, answers and ciphertexts.
//! Special answers: the third answer of each applet is a reviewer's (encrypted against the reviewer's id string,
//! as the admin panel did) and the fifth is stored unencrypted inside the encrypted applet.

use std::io;
use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use mindlogger_model::{AppletEncryption, UserPublicKey, parse_byte_array};
use mtdata_core::mindlogger::MindLoggerApi;
use mtdata_crypto::Backend;
use mtdata_crypto::encrypt_payload;
use mtdata_crypto::mindlogger::{
    AppletKey, RespondentKey, applet_public_key, respondent_private_key,
};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde_json::{Value, json};

/// The test vectors of `fixtures/mindlogger`, compiled in for their primes (MindLogger's own, public).
const VECTORS: &str = include_str!("../../../fixtures/mindlogger/vectors.json");

/// Size and randomness of the synthetic study.
#[derive(Debug, Clone)]
pub struct StudyOptions {
    /// Seed of every random choice: ids, keys, answers, IVs.
    pub seed: u64,
    /// Applets (at least 1). With two or more, every second one belongs to another owner, whose account
    /// (v1) or workspace (v2) the manager manages.
    pub applets: usize,
    /// Respondents per applet (at least 1); the first is the plain user who can log in.
    pub respondents: usize,
    /// Answers per applet at start.
    pub answers: usize,
    /// When the first answer of each applet was made.
    pub first_answer_at: DateTime<Utc>,
    /// Time between two answers of an applet (each one is jittered by up to half of it).
    pub answer_spacing: Duration,
}

impl Default for StudyOptions {
    fn default() -> Self {
        StudyOptions {
            seed: 20_240_301,
            applets: 3,
            respondents: 5,
            answers: 40,
            first_answer_at: Utc
                .with_ymd_and_hms(2024, 3, 1, 8, 0, 0)
                .single()
                .expect("valid date"),
            answer_spacing: Duration::from_secs(10 * 60),
        }
    }
}

/// A login of the simulated server.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: String,
    pub email: String,
    pub password: String,
    pub first_name: String,
}

/// v1: a Girder account (the manager's, another owner's, the plain user's); v2: a workspace (its `ownerId`).
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub id: String,
    pub name: String,
    pub owner: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemKind {
    SingleSelect,
    Slider,
    Text,
}

impl ItemKind {
    /// v1 `reprolib:terms/inputType`.
    pub fn v1_input_type(self) -> &'static str {
        match self {
            ItemKind::SingleSelect => "radio",
            ItemKind::Slider => "slider",
            ItemKind::Text => "text",
        }
    }

    /// v2 `responseType`.
    pub fn v2_response_type(self) -> &'static str {
        match self {
            ItemKind::SingleSelect => "singleSelect",
            ItemKind::Slider => "slider",
            ItemKind::Text => "text",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Choice {
    pub id: String,
    pub name: String,
    pub value: i64,
    pub score: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub id: String,
    pub name: String,
    pub kind: ItemKind,
    pub question: String,
    pub options: Vec<Choice>,
}

#[derive(Debug, Clone)]
pub(crate) struct Activity {
    pub id: String,
    pub name: String,
    pub items: Vec<Item>,
}

impl Activity {
    /// v1 item IRI of a builder-made applet: `<activity id>/<item id>`.
    pub fn item_iri(&self, item: &Item) -> String {
        format!("{}/{}", self.id, item.id)
    }
}

/// A respondent of one applet and the AES key the app derived for it.
#[derive(Debug, Clone)]
pub(crate) struct Respondent {
    pub user: usize,
    /// v1 profile id (the `userId` of data pages); v2 subject id.
    pub profile_id: String,
    pub secret_id: String,
    pub public_key: Vec<u8>,
    aes_key: [u8; 32],
}

#[derive(Debug, Clone)]
pub(crate) enum Author {
    Respondent(usize),
    /// A review made in the admin panel of the answer with this id.
    Reviewer {
        reviewed: String,
    },
}

/// How an answer is stored.
#[derive(Debug, Clone)]
pub(crate) enum Stored {
    Encrypted {
        user_key: UserPublicKey,
        answer: String,
        events: String,
    },
    /// Plain values, as unencrypted applets (and some old clients) stored them.
    Plain,
}

/// One answer (a completed activity).
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub id: String,
    /// Insertion order, to sort answers of the same time.
    pub seq: u64,
    pub created: DateTime<Utc>,
    pub activity: usize,
    pub author: Author,
    /// The decrypted answer: one value per item, in item order.
    pub values: Value,
    /// The decrypted user events.
    pub events: Value,
    pub stored: Stored,
}

#[derive(Debug)]
pub(crate) struct Applet {
    pub id: String,
    pub name: String,
    pub account: usize,
    pub password: String,
    pub version: String,
    pub encryption: AppletEncryption,
    key: AppletKey,
    pub activities: Vec<Activity>,
    pub respondents: Vec<Respondent>,
    pub answers: Vec<Answer>,
}

impl Applet {
    /// Answers newest first, as both servers sort them (`created` descending).
    pub fn newest_first(&self) -> Vec<&Answer> {
        let mut answers: Vec<&Answer> = self.answers.iter().collect();
        answers.sort_by_key(|a| std::cmp::Reverse((a.created, a.seq)));
        answers
    }
}

/// Index of the manager (who may export everything), the other owner and the plain user in `users`.
pub(crate) const MANAGER: usize = 0;
pub(crate) const OTHER_OWNER: usize = 1;
pub(crate) const PLAIN_USER: usize = 2;

pub(crate) struct Study {
    pub api: MindLoggerApi,
    pub users: Vec<User>,
    pub accounts: Vec<Account>,
    pub applets: Vec<Applet>,
    rng: StdRng,
    seq: u64,
}

fn primes() -> io::Result<Vec<Vec<u8>>> {
    let bad =
        |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("vectors.json: {what}"));
    let vectors: Value = serde_json::from_str(VECTORS).map_err(|e| bad(&e.to_string()))?;
    let applets = vectors["applets"]
        .as_object()
        .ok_or_else(|| bad("no applets"))?;
    let mut primes = Vec::new();
    for applet in applets.values() {
        let text = applet["encryption"]["prime"]
            .as_str()
            .ok_or_else(|| bad("no prime"))?;
        let prime = parse_byte_array(text).map_err(|e| bad(&e.to_string()))?;
        if !primes.contains(&prime) {
            primes.push(prime);
        }
    }
    Ok(primes)
}

fn crypto_error(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("cannot make the synthetic applet keys: {e}"))
}

impl Study {
    pub fn generate(api: MindLoggerApi, opts: &StudyOptions) -> io::Result<Study> {
        let mut rng = StdRng::seed_from_u64(opts.seed);
        let primes = primes()?;
        let mut study = Study {
            api,
            users: Vec::new(),
            accounts: Vec::new(),
            applets: Vec::new(),
            rng: StdRng::seed_from_u64(opts.seed ^ 0x11fe),
            seq: 0,
        };
        let people = [
            ("manager@lab.example.org", "manager-password", "Mara"),
            ("owner@partner.example.org", "owner-password", "Otto"),
            ("respondent@example.org", "respondent-password", "Rita"),
        ];
        for (email, password, first_name) in people {
            let id = study.new_id(&mut rng);
            study.users.push(User {
                id,
                email: email.into(),
                password: password.into(),
                first_name: first_name.into(),
            });
        }
        for (owner, name) in [
            (MANAGER, "Lab"),
            (OTHER_OWNER, "Partner lab"),
            (PLAIN_USER, "Rita"),
        ] {
            // A v2 workspace is named by its owner's id.
            let id = match api {
                MindLoggerApi::V1 => study.new_id(&mut rng),
                MindLoggerApi::V2 => study.users[owner].id.clone(),
            };
            study.accounts.push(Account {
                id,
                name: name.into(),
                owner,
            });
        }
        for n in 0..opts.applets.max(1) {
            let applet = study.make_applet(n, &primes[n % primes.len()], opts, &mut rng)?;
            study.applets.push(applet);
        }
        for a in 0..study.applets.len() {
            for n in 0..opts.answers {
                let spacing = opts.answer_spacing.as_millis() as i64;
                let jitter = rng.gen_range(0..(spacing / 2).max(1));
                let created = opts.first_answer_at
                    + chrono::Duration::milliseconds(spacing * n as i64 + jitter);
                let author = match n {
                    2 => Author::Reviewer {
                        reviewed: study.applets[a].answers[1].id.clone(),
                    },
                    _ => Author::Respondent(rng.gen_range(0..study.applets[a].respondents.len())),
                };
                let answer = study.make_answer(a, created, author, n == 4, &mut rng);
                study.applets[a].answers.push(answer);
            }
        }
        Ok(study)
    }

    /// A new id of the server's form: 24 hex digits (v1 ObjectId) or a version-4 UUID (v2).
    fn new_id(&self, rng: &mut StdRng) -> String {
        match self.api {
            MindLoggerApi::V1 => format!("{:08x}{:016x}", rng.r#gen::<u32>(), rng.r#gen::<u64>()),
            MindLoggerApi::V2 => {
                let (a, b, c, d, e) = (
                    rng.r#gen::<u32>(),
                    rng.r#gen::<u16>(),
                    rng.r#gen::<u16>() & 0x0fff,
                    (rng.r#gen::<u16>() & 0x3fff) | 0x8000,
                    rng.r#gen::<u64>() & 0xffff_ffff_ffff,
                );
                format!("{a:08x}-{b:04x}-4{c:03x}-{d:04x}-{e:012x}")
            }
        }
    }

    fn make_applet(
        &mut self,
        n: usize,
        prime: &[u8],
        opts: &StudyOptions,
        rng: &mut StdRng,
    ) -> io::Result<Applet> {
        const NAMES: [&str; 4] = ["Daily Mood", "Sleep Diary", "Stress Check", "Activity Log"];
        let id = self.new_id(rng);
        let account = if opts.applets > 1 && n % 2 == 1 { 1 } else { 0 };
        // v1 keys the applet with its account's id, v2 with its owner's user id (the workspace id here).
        let account_id = self.accounts[account].id.clone();
        let password = format!("applet-{n}-password");
        let public_key = applet_public_key(prime, &[2], &password, &account_id, Backend::DEFAULT)
            .map_err(crypto_error)?;
        let encryption = AppletEncryption {
            prime: prime.to_vec(),
            base: vec![2],
            public_key,
            account_id,
        };
        let key = AppletKey::derive(&encryption, &password).map_err(crypto_error)?;
        let activities = self.make_activities(rng);
        let mut respondents = Vec::new();
        for r in 0..opts.respondents.max(1) {
            let user = match r {
                0 => PLAIN_USER,
                _ => {
                    let id = self.new_id(rng);
                    self.users.push(User {
                        id,
                        email: format!("respondent-{n}-{r}@example.org"),
                        password: format!("respondent-{n}-{r}-password"),
                        first_name: format!("R{n}{r}"),
                    });
                    self.users.len() - 1
                }
            };
            let u = &self.users[user];
            let private = respondent_private_key(&u.password, &u.email, &u.id);
            let respondent = RespondentKey::new(&encryption, &private, Backend::DEFAULT)
                .map_err(crypto_error)?;
            respondents.push(Respondent {
                user,
                profile_id: self.new_id(rng),
                secret_id: format!("participant-{n}-{r:03}"),
                public_key: respondent.public_key(),
                aes_key: *respondent.aes_keys(&encryption.public_key).padded.bytes(),
            });
        }
        Ok(Applet {
            id,
            name: NAMES[n % NAMES.len()].to_owned(),
            account,
            password,
            version: "1.2.0".into(),
            encryption,
            key,
            activities,
            respondents,
            answers: Vec::new(),
        })
    }

    fn make_activities(&self, rng: &mut StdRng) -> Vec<Activity> {
        let choices = |rng: &mut StdRng, names: &[&str]| -> Vec<Choice> {
            names
                .iter()
                .enumerate()
                .map(|(i, name)| Choice {
                    id: self.new_id(rng),
                    name: (*name).into(),
                    value: i as i64,
                    score: i as i64 + 1,
                })
                .collect()
        };
        let item = |rng: &mut StdRng, name: &str, kind: ItemKind, question: &str| {
            let options = match kind {
                ItemKind::SingleSelect => {
                    choices(rng, &["Very bad", "Bad", "Neutral", "Good", "Very good"])
                }
                ItemKind::Slider => choices(rng, &["0", "1", "2", "3", "4"]),
                ItemKind::Text => Vec::new(),
            };
            Item {
                id: self.new_id(rng),
                name: name.into(),
                kind,
                question: question.into(),
                options,
            }
        };
        let morning = vec![
            item(
                rng,
                "mood",
                ItemKind::SingleSelect,
                "How is your mood right now?",
            ),
            item(
                rng,
                "energy",
                ItemKind::Slider,
                "How much energy do you have?",
            ),
            item(rng, "note", ItemKind::Text, "Anything else on your mind?"),
        ];
        let evening = vec![
            item(rng, "day", ItemKind::SingleSelect, "How was your day?"),
            item(
                rng,
                "stress",
                ItemKind::Slider,
                "How stressed did you feel today?",
            ),
        ];
        vec![
            Activity {
                id: self.new_id(rng),
                name: "Morning check-in".into(),
                items: morning,
            },
            Activity {
                id: self.new_id(rng),
                name: "Evening check-in".into(),
                items: evening,
            },
        ]
    }

    /// Makes an answer to applet `a` and encrypts it as the app (or, for a review, the admin panel) did.
    fn make_answer(
        &mut self,
        a: usize,
        created: DateTime<Utc>,
        author: Author,
        plain: bool,
        rng: &mut StdRng,
    ) -> Answer {
        let id = self.new_id(rng);
        let applet = &self.applets[a];
        let activity_index = rng.gen_range(0..applet.activities.len());
        let activity = &applet.activities[activity_index];
        let start_ms = created.timestamp_millis() - rng.gen_range(20_000..300_000);
        let mut values = Vec::new();
        let mut events = Vec::new();
        for (i, item) in activity.items.iter().enumerate() {
            let value = match item.kind {
                ItemKind::SingleSelect | ItemKind::Slider => {
                    json!({"value": item.options[rng.gen_range(0..item.options.len())].value})
                }
                ItemKind::Text => {
                    json!(["fine", "tired today", "ça va 🙂", ""][rng.gen_range(0..4)])
                }
            };
            let time = start_ms + 4_000 * (i as i64 + 1);
            events.push(json!({"type": "SET_ANSWER", "time": time, "screen": activity.item_iri(item), "response": value}));
            events.push(
                json!({"type": "NEXT", "time": time + 500, "screen": activity.item_iri(item)}),
            );
            values.push(value);
        }
        events
            .push(json!({"type": "DONE", "time": created.timestamp_millis(), "screen": "summary"}));
        let (values, events) = (Value::Array(values), Value::Array(events));
        let stored = match (plain, &author) {
            (true, _) => Stored::Plain,
            (false, Author::Respondent(r)) => {
                let respondent = &applet.respondents[*r];
                encrypted(
                    &respondent.aes_key,
                    UserPublicKey::Key(respondent.public_key.clone()),
                    &values,
                    &events,
                    rng,
                )
            }
            (false, Author::Reviewer { .. }) => {
                // The admin panel used the reviewer's id as the public key (reference §4.5).
                let reviewer = match self.api {
                    MindLoggerApi::V1 => self.accounts[applet.account].id.clone(),
                    MindLoggerApi::V2 => self.users[MANAGER].id.clone(),
                };
                let aes = applet.key.aes_keys(reviewer.as_bytes());
                encrypted(
                    aes.padded.bytes(),
                    UserPublicKey::ReviewerId(reviewer),
                    &values,
                    &events,
                    rng,
                )
            }
        };
        self.seq += 1;
        Answer {
            id,
            seq: self.seq,
            created,
            activity: activity_index,
            author,
            values,
            events,
            stored,
        }
    }

    /// A respondent submits an answer to applet `a` now; returns its id.
    pub fn submit(&mut self, a: usize, created: DateTime<Utc>) -> String {
        let mut rng = StdRng::seed_from_u64(self.rng.r#gen());
        let respondent = rng.gen_range(0..self.applets[a].respondents.len());
        let answer = self.make_answer(a, created, Author::Respondent(respondent), false, &mut rng);
        let id = answer.id.clone();
        self.applets[a].answers.push(answer);
        id
    }

    /// A new opaque token.
    pub fn token(&mut self) -> String {
        format!(
            "{:016x}{:016x}",
            self.rng.r#gen::<u64>(),
            self.rng.r#gen::<u64>()
        )
    }

    pub fn find_applet(&self, id: &str) -> Option<usize> {
        self.applets.iter().position(|a| a.id == id)
    }

    /// The user with this login, if the password is right.
    pub fn login(&self, email: &str, password: &str) -> Option<usize> {
        self.users
            .iter()
            .position(|u| u.email.eq_ignore_ascii_case(email) && u.password == password)
    }

    /// The roles `user` has on applet `a`: its account's owner is owner and manager, the manager manages
    /// every applet, respondents are users.
    pub fn roles(&self, user: usize, a: usize) -> &'static [&'static str] {
        let applet = &self.applets[a];
        if self.accounts[applet.account].owner == user {
            &["owner", "manager", "reviewer"]
        } else if user == MANAGER {
            &["manager", "reviewer"]
        } else if applet.respondents.iter().any(|r| r.user == user) {
            &["user"]
        } else {
            &[]
        }
    }

    /// Whether `user` may export applet `a` (owner, manager or reviewer).
    pub fn may_export(&self, user: usize, a: usize) -> bool {
        self.roles(user, a)
            .iter()
            .any(|r| matches!(*r, "owner" | "manager" | "reviewer"))
    }
}

fn encrypted(
    key: &[u8; 32],
    user_key: UserPublicKey,
    values: &Value,
    events: &Value,
    rng: &mut StdRng,
) -> Stored {
    let mut seal =
        |plain: &Value| encrypt_payload(key, rng.r#gen(), plain.to_string().as_bytes()).to_string();
    Stored::Encrypted {
        answer: seal(values),
        events: seal(events),
        user_key,
    }
}

#[cfg(test)]
mod tests {
    use mtdata_crypto::mindlogger::{AnswerOutcome, KeyRing};

    use super::*;

    fn small(api: MindLoggerApi) -> Study {
        let opts = StudyOptions {
            applets: 2,
            respondents: 2,
            answers: 6,
            ..StudyOptions::default()
        };
        Study::generate(api, &opts).unwrap()
    }

    #[test]
    fn answers_open_with_the_applet_password() {
        for api in [MindLoggerApi::V1, MindLoggerApi::V2] {
            let study = small(api);
            for applet in &study.applets {
                let ring = KeyRing::new(vec![
                    AppletKey::derive(&applet.encryption, &applet.password).unwrap(),
                ]);
                for answer in &applet.answers {
                    let expected = answer.values.to_string();
                    match &answer.stored {
                        Stored::Encrypted {
                            user_key,
                            answer: stored,
                            ..
                        } => {
                            let outcome = ring.decrypt_answer(Some(user_key), stored);
                            assert_eq!(outcome.json(), Some(expected.as_str()), "{outcome:?}");
                        }
                        Stored::Plain => assert!(matches!(
                            ring.decrypt_answer(None, &expected),
                            AnswerOutcome::Plain(_)
                        )),
                    }
                }
                assert!(matches!(applet.answers[2].author, Author::Reviewer { .. }));
                assert!(matches!(applet.answers[4].stored, Stored::Plain));
            }
        }
    }

    #[test]
    fn deterministic_for_a_seed() {
        let ids = |study: &Study| -> Vec<String> {
            study
                .applets
                .iter()
                .flat_map(|a| a.answers.iter().map(|x| x.id.clone()))
                .collect()
        };
        let a = small(MindLoggerApi::V2);
        let b = small(MindLoggerApi::V2);
        assert_eq!(ids(&a), ids(&b));
        assert!(ids(&a).iter().all(|id| id.len() == 36));
        assert!(
            ids(&small(MindLoggerApi::V1))
                .iter()
                .all(|id| id.len() == 24)
        );
        assert_eq!(a.applets[1].account, 1);
        assert_eq!(a.accounts[1].id, a.users[OTHER_OWNER].id);
        assert!(a.may_export(MANAGER, 1) && !a.may_export(PLAIN_USER, 0));
    }
}
