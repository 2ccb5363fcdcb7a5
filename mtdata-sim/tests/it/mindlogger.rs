//! The MindLogger simulators over loopback: the v1 and v2 protocols, rights, token expiry, paging, live
//! submissions and faults, and answers that open with the applet password.

use std::collections::BTreeSet;

use base64::Engine as _;
use mindlogger_model::{AppletEncryption, UserPublicKey};
use mtdata_core::mindlogger::MindLoggerApi;
use mtdata_crypto::mindlogger::{AppletKey, KeyRing};
use mtdata_sim::mindlogger::{
    Fault, FaultAction, LiveSubmissions, SimOptions, Simulator, StudyOptions, TokenLifetime,
};
use reqwest::blocking::{RequestBuilder, Response};
use serde_json::{Value, json};

use crate::client;

fn small(api: MindLoggerApi) -> SimOptions {
    SimOptions {
        study: StudyOptions {
            applets: 2,
            respondents: 3,
            answers: 12,
            ..StudyOptions::default()
        },
        v1_page_size: 5,
        ..SimOptions::new(api)
    }
}

fn json_of(response: Response) -> Value {
    assert_eq!(response.status(), 200, "{:?}", response.url().path());
    serde_json::from_slice(&response.bytes().unwrap()).unwrap()
}

fn ring(sim: &Simulator, applet: &str, encryption: &AppletEncryption) -> KeyRing {
    let password = sim.applet_password(applet).unwrap();
    KeyRing::new(vec![AppletKey::derive(encryption, &password).unwrap()])
}

struct V1<'a> {
    sim: &'a Simulator,
    token: String,
}

impl V1<'_> {
    fn login<'a>(sim: &'a Simulator, user: (String, String)) -> Result<V1<'a>, u16> {
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", user.0, user.1));
        let response = client()
            .get(format!("{}user/authentication", sim.base_url()))
            .header("Girder-Authorization", format!("Basic {basic}"))
            .send()
            .unwrap();
        if response.status() != 200 {
            return Err(response.status().as_u16());
        }
        let token = json_of(response)["authToken"]["token"]
            .as_str()
            .unwrap()
            .to_owned();
        Ok(V1 { sim, token })
    }

    fn call(&self, builder: RequestBuilder) -> Response {
        builder.header("Girder-Token", &self.token).send().unwrap()
    }

    fn get(&self, path: &str) -> Response {
        self.call(client().get(format!("{}{path}", self.sim.base_url())))
    }

    fn switch(&mut self, account: &str) -> Value {
        let url = format!(
            "{}user/switchAccount?accountId={account}",
            self.sim.base_url()
        );
        let body = json_of(self.call(client().put(url)));
        self.token = body["authToken"]["token"].as_str().unwrap().to_owned();
        body
    }

    fn page(&self, applet: &str, index: usize) -> Value {
        let pagination = format!("{{\"allow\":true,\"pageIndex\":{index}}}");
        let url = format!("{}applet/{applet}/data", self.sim.base_url());
        json_of(
            self.call(
                client()
                    .get(url)
                    .query(&[("users", ""), ("pagination", &pagination)]),
            ),
        )
    }
}

#[test]
fn v1_serves_chunked_applets_and_per_page_keys_that_open_with_the_password() {
    let sim = Simulator::start(small(MindLoggerApi::V1)).unwrap();
    let mut v1 = V1::login(&sim, sim.manager()).unwrap();
    let accounts = json_of(v1.get("user/accounts"));
    assert_eq!(accounts.as_array().unwrap().len(), 2, "{accounts}");
    let mut seen_applets = BTreeSet::new();
    for account in accounts.as_array().unwrap() {
        let switched = v1.switch(account["accountId"].as_str().unwrap());
        for listed in switched["account"]["applets"].as_array().unwrap() {
            let id = listed["id"].as_str().unwrap().to_owned();
            assert!(
                listed["roles"]
                    .as_array()
                    .unwrap()
                    .contains(&json!("manager"))
            );
            // Chunks linked by nextActivity, each with the applet's encryption and account id.
            let mut chunk = json_of(v1.get(&format!(
                "applet/{id}?retrieveSchedule=false&retrieveAllEvents=false&retrieveItems=true"
            )));
            let encryption = AppletEncryption::from_v1_applet(&chunk).unwrap();
            assert_eq!(
                Some(&encryption.account_id),
                sim.applet_account_id(&id).as_ref()
            );
            let mut activities = 0;
            loop {
                activities += chunk["activities"].as_object().unwrap().len();
                let Some(next) = chunk["nextActivity"].as_str().map(str::to_owned) else {
                    break;
                };
                chunk = json_of(v1.get(&format!(
                    "applet/{id}?retrieveItems=true&nextActivity={next}"
                )));
            }
            assert_eq!(activities, 2);
            let ring = ring(&sim, &id, &encryption);
            let mut ids = Vec::new();
            for index in 0.. {
                let page = v1.page(&id, index);
                let keys = page["keys"].as_array().unwrap();
                for response in page["responses"].as_array().unwrap() {
                    let answer_id = response["_id"].as_str().unwrap();
                    ids.push(answer_id.to_owned());
                    let Some(source) = page["dataSources"].get(answer_id) else {
                        assert!(
                            response["data"]
                                .as_object()
                                .unwrap()
                                .values()
                                .all(|v| !v.is_object() || v.get("src").is_none())
                        );
                        continue;
                    };
                    let key =
                        UserPublicKey::from_value(&keys[source["key"].as_u64().unwrap() as usize])
                            .unwrap();
                    let outcome = ring.decrypt_answer(Some(&key), source["data"].as_str().unwrap());
                    assert!(outcome.json().is_some(), "{outcome:?}");
                }
                if page["pagination"]["returnCount"].as_u64()
                    < page["pagination"]["recordsPerPage"].as_u64()
                {
                    break;
                }
            }
            let mut expected = sim.answer_ids(&id);
            expected.reverse(); // newest first
            assert_eq!(ids, expected);
            seen_applets.insert(id);
        }
    }
    assert_eq!(seen_applets.len(), 2);
}

#[test]
fn v1_plain_users_and_bad_tokens_are_refused() {
    let sim = Simulator::start(small(MindLoggerApi::V1)).unwrap();
    assert_eq!(
        V1::login(&sim, ("manager@lab.example.org".into(), "wrong".into())).err(),
        Some(401)
    );
    let plain = V1::login(&sim, sim.plain_user()).unwrap();
    assert_eq!(json_of(plain.get("user/accounts")), json!([]));
    let applet = &sim.applet_ids()[0];
    assert_eq!(plain.get(&format!("applet/{applet}")).status(), 403);
    assert_eq!(plain.get(&format!("applet/{applet}/data")).status(), 403);
    let stranger = V1 {
        sim: &sim,
        token: "nope".into(),
    };
    assert_eq!(stranger.get("user/accounts").status(), 401);
    let deleted = client()
        .delete(format!("{}applet/{applet}", sim.base_url()))
        .send()
        .unwrap();
    assert_eq!(deleted.status(), 405);
    assert_eq!(sim.answer_ids(applet).len(), 12);
}

struct V2<'a> {
    sim: &'a Simulator,
    access: String,
    refresh: String,
}

impl V2<'_> {
    fn login<'a>(sim: &'a Simulator, user: (String, String)) -> Result<V2<'a>, u16> {
        let response = client()
            .post(format!("{}auth/login", sim.base_url()))
            .json(&json!({"email": user.0, "password": user.1, "deviceId": null}))
            .send()
            .unwrap();
        if response.status() != 200 {
            return Err(response.status().as_u16());
        }
        let token = json_of(response)["result"]["token"].clone();
        Ok(V2 {
            sim,
            access: token["accessToken"].as_str().unwrap().to_owned(),
            refresh: token["refreshToken"].as_str().unwrap().to_owned(),
        })
    }

    fn get(&self, path: &str) -> Response {
        client()
            .get(format!("{}{path}", self.sim.base_url()))
            .bearer_auth(&self.access)
            .send()
            .unwrap()
    }

    fn refresh(&mut self) -> u16 {
        let response = client()
            .post(format!("{}auth/token/refresh", self.sim.base_url()))
            .json(&json!({"refreshToken": self.refresh}))
            .send()
            .unwrap();
        let status = response.status().as_u16();
        if status == 200 {
            let result = json_of(response)["result"].clone();
            self.access = result["accessToken"].as_str().unwrap().to_owned();
            self.refresh = result["refreshToken"].as_str().unwrap().to_owned();
        }
        status
    }
}

#[test]
fn v2_pages_answers_from_a_date_and_they_open_with_the_password() {
    let sim = Simulator::start(small(MindLoggerApi::V2)).unwrap();
    let v2 = V2::login(&sim, sim.manager()).unwrap();
    let workspaces = json_of(v2.get("workspaces"));
    assert_eq!(workspaces["count"], 2, "{workspaces}");
    let mut listed = Vec::new();
    for w in workspaces["result"].as_array().unwrap() {
        let applets = json_of(v2.get(&format!(
            "workspaces/{}/applets?page=1&limit=10",
            w["ownerId"].as_str().unwrap()
        )));
        listed.extend(
            applets["result"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_owned()),
        );
    }
    listed.sort();
    let mut all = sim.applet_ids();
    all.sort();
    assert_eq!(listed, all);

    let applet = &sim.applet_ids()[1];
    let document = json_of(v2.get(&format!("applets/{applet}")));
    let encryption = AppletEncryption::from_v2(&document["result"]["encryption"]).unwrap();
    assert_eq!(
        Some(&encryption.account_id),
        sim.applet_account_id(applet).as_ref()
    );
    let ring = ring(&sim, applet, &encryption);
    let answers = sim.answers(applet);
    let from = answers[6].created.format("%Y-%m-%dT%H:%M:%S").to_string();
    let mut ids = Vec::new();
    for page in 1.. {
        let body = json_of(v2.get(&format!(
            "answers/applet/{applet}/data?page={page}&limit=4&fromDate={from}"
        )));
        assert_eq!(body["count"], 6);
        let got = body["result"]["answers"].as_array().unwrap();
        for answer in got {
            ids.push(answer["id"].as_str().unwrap().to_owned());
            let stored = answer["answer"].as_str().unwrap();
            let key = answer["userPublicKey"]
                .as_str()
                .map(|k| UserPublicKey::parse(k).unwrap());
            let outcome = ring.decrypt_answer(key.as_ref(), stored);
            assert!(outcome.json().is_some(), "{outcome:?}");
        }
        if page * 4 >= 6 {
            break;
        }
    }
    let expected: Vec<String> = answers[6..].iter().rev().map(|a| a.id.clone()).collect();
    assert_eq!(ids, expected);
}

#[test]
fn v2_tokens_expire_and_refresh() {
    let sim = Simulator::start(SimOptions {
        token_lifetime: TokenLifetime::Requests(2),
        ..small(MindLoggerApi::V2)
    })
    .unwrap();
    assert_eq!(
        V2::login(&sim, ("manager@lab.example.org".into(), "wrong".into())).err(),
        Some(400)
    );
    let mut v2 = V2::login(&sim, sim.manager()).unwrap();
    assert_eq!(v2.get("workspaces").status(), 200);
    assert_eq!(v2.get("workspaces").status(), 200);
    let expired = v2.get("workspaces");
    assert_eq!(expired.status(), 401);
    assert_eq!(
        json_of_any(expired)["result"][0]["message"],
        "Could not validate credentials."
    );
    assert_eq!(v2.refresh(), 200);
    assert_eq!(v2.get("workspaces").status(), 200);
    sim.expire_access_tokens();
    assert_eq!(v2.get("workspaces").status(), 401);
}

#[test]
fn v2_respondents_are_refused() {
    let sim = Simulator::start(small(MindLoggerApi::V2)).unwrap();
    let plain = V2::login(&sim, sim.plain_user()).unwrap();
    let applet = &sim.applet_ids()[0];
    assert_eq!(
        plain.get(&format!("answers/applet/{applet}/data")).status(),
        403
    );
    assert_eq!(plain.get(&format!("applets/{applet}")).status(), 403);
    assert_eq!(json_of(plain.get("workspaces"))["count"], 0);
}

fn json_of_any(response: Response) -> Value {
    serde_json::from_slice(&response.bytes().unwrap()).unwrap()
}

#[test]
fn faults_hit_their_path_and_live_answers_arrive_between_pages() {
    let sim = Simulator::start(SimOptions {
        live: Some(LiveSubmissions {
            per_page: 2,
            every: None,
        }),
        ..small(MindLoggerApi::V2)
    })
    .unwrap();
    let v2 = V2::login(&sim, sim.manager()).unwrap();
    let [first, second] = <[String; 2]>::try_from(sim.applet_ids()).unwrap();
    sim.set_fault(Fault::status(503).on_applet(&first).times(2));
    sim.set_fault(
        Fault::truncated_body(10)
            .on_path(&format!("/applets/{second}"))
            .times(1),
    );
    let data = |applet: &str| v2.get(&format!("answers/applet/{applet}/data?limit=100"));
    assert_eq!(data(&first).status(), 503);
    assert_eq!(data(&first).status(), 503);
    assert_eq!(json_of(data(&first))["count"], 12);
    assert_eq!(
        json_of(data(&first))["count"],
        14,
        "two answers arrived after the first page"
    );
    assert!(
        v2.get(&format!("applets/{second}")).bytes().is_err(),
        "the body is cut short"
    );
    assert_eq!(v2.get(&format!("applets/{second}")).status(), 200);
    let faults: Vec<Option<FaultAction>> = sim.requests().into_iter().map(|r| r.fault).collect();
    assert_eq!(faults.iter().filter(|f| f.is_some()).count(), 3);
    assert_eq!(sim.answer_ids(&second).len(), 12);
    assert!(sim.submit(&second).is_some());
    assert_eq!(sim.answer_ids(&second).len(), 13);
}

#[test]
fn v1_girder_listings_page_filter_and_need_a_token() {
    let sim = Simulator::start(small(MindLoggerApi::V1)).unwrap();
    let served = sim.girder();
    let v1 = V1::login(&sim, sim.manager()).unwrap();
    let ids = |body: Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|d| d["_id"].as_str().unwrap().to_owned())
            .collect()
    };
    // Paging with limit and offset: pages of 5 users put together are every user, in order.
    let mut users = Vec::new();
    for offset in (0..served.users.len() + 5).step_by(5) {
        users.extend(ids(json_of(
            v1.get(&format!("user?limit=5&offset={offset}")),
        )));
    }
    assert_eq!(users, served.ids(mtdata_sim::mindlogger::GirderKind::User));
    assert_eq!(
        ids(json_of(v1.get("user?limit=0"))).len(),
        served.users.len(),
        "limit 0 is everything"
    );
    // Folders by parent, items by folder.
    let collection = served.collections[0]["_id"].as_str().unwrap();
    let sets = ids(json_of(v1.get(&format!(
        "folder?parentType=collection&parentId={collection}&limit=100"
    ))));
    assert_eq!(sets.len(), 3);
    let expected: Vec<&Value> = served
        .folders
        .iter()
        .filter(|f| f["parentId"] == collection)
        .collect();
    assert_eq!(sets.len(), expected.len());
    let responses = served
        .items
        .iter()
        .find(|i| i["meta"]["completed"].is_string())
        .unwrap()["folderId"]
        .as_str()
        .unwrap();
    let items = ids(json_of(
        v1.get(&format!("item?folderId={responses}&limit=1000")),
    ));
    let held = served
        .items
        .iter()
        .filter(|i| i["folderId"] == responses)
        .count();
    assert_eq!(items.len(), held);
    // Girder's refusals: parameters missing, a parent type it does not know, no token.
    for (path, status) in [
        ("folder?parentId=x", 400),
        (
            &*format!("folder?parentType=group&parentId={collection}"),
            400,
        ),
        ("item", 400),
        ("user?limit=many", 400),
    ] {
        assert_eq!(v1.get(path).status(), status, "{path}");
    }
    let anonymous = client()
        .get(format!("{}collection", sim.base_url()))
        .send()
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let delete = v1.call(client().delete(format!("{}folder", sim.base_url())));
    assert_eq!(delete.status(), 405);
    // A v2 server has no Girder structure.
    let v2 = Simulator::start(small(MindLoggerApi::V2)).unwrap();
    assert_eq!(v2.girder(), Default::default());
}
