//! Parse export documents shaped like the ones in the MindLogger reference notes.

use mindlogger_model::{AnswerExportPage, EncryptedPayload, ResponseMeta, UserPublicKey};

#[test]
fn v1_response_meta() {
    let meta: ResponseMeta = serde_json::from_str(
        r#"{"applet": {"@id": "5f0e35523477de8b4a528dd0", "name": "EMA", "url": null, "version": "1.0.3"},
            "activity": {"@id": "5f87e250c3942f7d5df7b7ca", "name": "Morning", "url": null},
            "subject": {"@id": "p1", "timezone": -4},
            "responseStarted": 1688306520000, "responseCompleted": 1688306590000,
            "responses": {"a/b": {"src": "x", "ptr": 0}},
            "dataSource": "000102030405060708090a0b0c0d0e0f:00112233445566778899aabbccddeeff",
            "userPublicKey": [142, 202, 179], "languageCode": "en"}"#,
    )
    .unwrap();
    assert_eq!(meta.activity.name.as_deref(), Some("Morning"));
    assert_eq!(
        meta.user_public_key,
        Some(UserPublicKey::Key(vec![142, 202, 179]))
    );
    let payload: EncryptedPayload = meta.data_source.unwrap().parse().unwrap();
    assert_eq!(payload.ciphertext().len(), 16);
    assert_eq!(meta.other["languageCode"], "en");
}

#[test]
fn v2_export_page() {
    let page: AnswerExportPage = serde_json::from_str(
        r#"{"result": {"answers": [{"id": "a1", "userPublicKey": "[99,83,75]",
              "answer": "000102030405060708090a0b0c0d0e0f:00112233445566778899aabbccddeeff",
              "itemIds": ["i1"], "startDatetime": 1749138592.012, "tzOffset": -240,
              "activityHistoryId": "act_2.2.4", "createdAt": "2025-06-05T15:50:02.936000"}],
            "activities": [{"id": "act", "idVersion": "act_2.2.4", "name": "EMA Morning", "version": "2.2.4",
              "items": [{"id": "i1", "name": "mood1_1", "responseType": "singleSelect", "isHidden": false}]}]},
           "count": 1}"#,
    )
    .unwrap();
    let answer = &page.result.answers[0];
    assert_eq!(
        answer.parsed_user_public_key(),
        Some(Ok(UserPublicKey::Key(vec![99, 83, 75])))
    );
    assert_eq!(page.result.activities[0].items[0].name, "mood1_1");
    assert_eq!(page.count, 1);
}

#[test]
fn bad_payloads_are_refused() {
    for bad in [
        "",
        "nocolon",
        "zz:00",
        "0001:00112233445566778899aabbccddeeff",
        "000102030405060708090a0b0c0d0e0f:0011",
    ] {
        assert!(bad.parse::<EncryptedPayload>().is_err(), "{bad}");
    }
}

#[test]
fn v1_review_carries_the_reviewer_account_id() {
    let meta: ResponseMeta = serde_json::from_str(
        r#"{"applet": {"@id": "a"}, "activity": {"@id": "b"}, "subject": {"@id": "p1"},
            "responseStarted": 1, "responseCompleted": 2,
            "userPublicKey": "5f0e35523477de8b4a528dd0"}"#,
    )
    .unwrap();
    assert_eq!(
        meta.user_public_key,
        Some(UserPublicKey::ReviewerId("5f0e35523477de8b4a528dd0".into()))
    );
}

#[test]
fn v1_key_with_a_bad_byte_is_refused_with_its_position() {
    let error = serde_json::from_str::<ResponseMeta>(
        r#"{"applet": {"@id": "a"}, "activity": {"@id": "b"}, "subject": {"@id": "p1"},
            "responseStarted": 1, "responseCompleted": 2, "userPublicKey": [1, 2, 256]}"#,
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("element 2 of the byte array is 256"),
        "{error}"
    );
}
