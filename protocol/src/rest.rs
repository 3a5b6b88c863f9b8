//! Request and response bodies of the Flink SQL Gateway REST API, v1–v4.
//!
//! Field names follow the official OpenAPI specs (`rest_v*_sql_gateway.yml`) and the bytes of a
//! real 2.3.0 gateway. Unknown fields are ignored on purpose: newer gateways add fields and the
//! client must keep working.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A REST API version of the SQL Gateway. Ordered, so negotiation can pick the highest common one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApiVersion {
    V1,
    V2,
    V3,
    V4,
}

impl ApiVersion {
    /// Every version this client speaks, lowest first.
    pub const SUPPORTED: [ApiVersion; 4] = [Self::V1, Self::V2, Self::V3, Self::V4];

    /// The URL prefix, e.g. `v3`.
    pub fn path_prefix(self) -> &'static str {
        match self {
            Self::V1 => "v1",
            Self::V2 => "v2",
            Self::V3 => "v3",
            Self::V4 => "v4",
        }
    }

    /// Parses the gateway's spelling (`"V3"`); unknown versions give `None`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "V1" => Some(Self::V1),
            "V2" => Some(Self::V2),
            "V3" => Some(Self::V3),
            "V4" => Some(Self::V4),
            _ => None,
        }
    }

    /// v1 has no `rowFormat` query parameter (and always answers JSON rows).
    pub fn has_row_format(self) -> bool {
        self >= Self::V2
    }

    /// Picks the highest version both sides speak from a `GET /api_versions` answer.
    pub fn negotiate(offered: &[String]) -> Option<Self> {
        offered.iter().filter_map(|v| Self::parse(v)).max()
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path_prefix())
    }
}

/// `GET /api_versions`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ApiVersionsResponse {
    pub versions: Vec<String>,
}

/// `GET /info`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GetInfoResponse {
    pub product_name: String,
    pub version: String,
}

/// `POST /sessions`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OpenSessionRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

/// Answer to `POST /sessions`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OpenSessionResponse {
    pub session_handle: String,
}

/// `GET /sessions/:session_handle`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GetSessionConfigResponse {
    pub properties: BTreeMap<String, String>,
}

/// `POST /sessions/:session_handle/statements`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteStatementRequest {
    pub statement: String,
    /// Milliseconds; the gateway cancels the operation after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_timeout: Option<i64>,
    /// Per-statement configuration (the `executionConfig` field).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub execution_config: BTreeMap<String, String>,
}

/// Answer to `POST …/statements`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteStatementResponse {
    pub operation_handle: String,
}

/// `GET …/operations/:h/status`, `POST …/cancel`, `DELETE …/close`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OperationStatusResponse {
    pub status: String,
}

/// `rowFormat` of a result fetch.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RowFormat {
    #[default]
    Json,
    PlainText,
}

/// `resultType` of a fetched page.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResultType {
    /// Nothing yet; fetch `nextResultUri` again later.
    NotReady,
    /// A page of rows (possibly empty while a job runs).
    Payload,
    /// End of stream; there is no `nextResultUri`.
    Eos,
}

/// `resultKind` of a fetched page.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResultKind {
    /// A statement without rows of its own (DDL, SET…): one `result` column saying `OK`.
    Success,
    /// A statement with rows.
    SuccessWithContent,
}

/// `GET …/operations/:h/result/:token[?rowFormat=…]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FetchResultsResponse {
    pub result_type: ResultType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_query_result: Option<bool>,
    #[serde(rename = "jobID", default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_kind: Option<ResultKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<ResultInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_result_uri: Option<String>,
}

/// The `results` object of a page: schema plus rows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ResultInfo {
    pub columns: Vec<ColumnInfo>,
    #[serde(default)]
    pub row_format: RowFormat,
    #[serde(default)]
    pub data: Vec<RowData>,
}

/// One result column. `logical_type` is kept as raw JSON here and parsed by
/// [`crate::logical_type::LogicalType::from_json`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ColumnInfo {
    pub name: String,
    pub logical_type: serde_json::Value,
    #[serde(default)]
    pub comment: Option<String>,
}

/// One row: its changelog kind and its fields in JSON (or PLAIN_TEXT strings).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RowData {
    pub kind: RowKind,
    pub fields: Vec<serde_json::Value>,
}

/// Flink's `RowKind`, as the gateway spells it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RowKind {
    Insert,
    UpdateBefore,
    UpdateAfter,
    Delete,
}

impl RowKind {
    /// The short changelog notation Flink prints: `+I`, `-U`, `+U`, `-D`.
    pub fn short_string(self) -> &'static str {
        match self {
            Self::Insert => "+I",
            Self::UpdateBefore => "-U",
            Self::UpdateAfter => "+U",
            Self::Delete => "-D",
        }
    }
}

/// The error body of every non-2xx answer: `{"errors": [...]}`. On a 500 the last entry usually is
/// `<Exception on server side: …stack…>`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ErrorResponse {
    pub errors: Vec<String>,
}

/// `POST /sessions/:h/configure-session` (v2+).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConfigureSessionRequest {
    pub statement: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_timeout: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_highest_common_version() {
        let offered: Vec<String> = ["V1", "V2", "V3", "V4", "V9"].iter().map(|s| s.to_string()).collect();
        assert_eq!(ApiVersion::negotiate(&offered), Some(ApiVersion::V4));
        assert_eq!(ApiVersion::negotiate(&["V1".into()]), Some(ApiVersion::V1));
        assert_eq!(ApiVersion::negotiate(&["V7".into()]), None);
        assert!(!ApiVersion::V1.has_row_format());
        assert!(ApiVersion::V2.has_row_format());
    }

    #[test]
    fn parses_real_gateway_pages() {
        let not_ready = r#"{"resultType":"NOT_READY","nextResultUri":"/v3/sessions/a/operations/b/result/0?rowFormat=JSON"}"#;
        let page: FetchResultsResponse = serde_json::from_str(not_ready).unwrap();
        assert_eq!(page.result_type, ResultType::NotReady);
        assert!(page.results.is_none());

        let payload = r#"{"resultType":"PAYLOAD","isQueryResult":true,"jobID":"fbc988ef5fc7ca7405fba7d8141ed060",
            "resultKind":"SUCCESS_WITH_CONTENT","results":{"columns":[{"name":"EXPR$0",
            "logicalType":{"type":"INTEGER","nullable":false},"comment":null}],"rowFormat":"JSON",
            "data":[{"kind":"INSERT","fields":[1]},{"kind":"UPDATE_BEFORE","fields":[2]}]},
            "nextResultUri":"/v3/sessions/a/operations/b/result/2?rowFormat=JSON"}"#;
        let page: FetchResultsResponse = serde_json::from_str(payload).unwrap();
        assert_eq!(page.job_id.as_deref(), Some("fbc988ef5fc7ca7405fba7d8141ed060"));
        assert_eq!(page.result_kind, Some(ResultKind::SuccessWithContent));
        let results = page.results.unwrap();
        assert_eq!(results.columns[0].name, "EXPR$0");
        assert_eq!(results.data[1].kind, RowKind::UpdateBefore);
        assert_eq!(results.data[1].kind.short_string(), "-U");
    }
}
