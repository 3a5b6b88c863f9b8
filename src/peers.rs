//! CancelRequests across replicas. Behind one Service address, a client's CancelRequest (a new
//! TCP connection) may reach another replica than the one serving its query. Process ids carry
//! the replica that handed them out (`crate::activity`); a replica that gets a key it does not
//! hold forwards it to its peers, each a plain CancelRequest to their PostgreSQL listener, and the
//! one holding the key cancels.
//!
//! A forwarded request carries [`FORWARDED_MARK`] after the secret, so a peer that does not hold
//! the key either drops it instead of forwarding it again (no loops, one hop). Peers come from
//! `[cancel] peers` (fixed addresses) and `[cancel] peers_dns` (a name resolved at each forward:
//! a Kubernetes headless Service lists every ready pod, this one included, which is harmless).

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::startup::SecretKey;
use pgwire::messages::Message;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use crate::activity::{replica_of, Activity, MAX_REPLICAS};

/// Appended to the secret of a forwarded CancelRequest (protocol 3.2 allows secrets up to 256
/// bytes; a 3.0 client's 4-byte key becomes 12).
pub const FORWARDED_MARK: &[u8; 8] = b"fw-peer\0";

/// How long a forward may take per peer (connect and write).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(2);

/// Forwards in flight at once; a flood of unknown keys beyond it is dropped rather than turned
/// into connections to every peer.
const MAX_FORWARDS_IN_FLIGHT: usize = 64;

/// `[cancel]`: this replica's number in cancel keys and where its peers are.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CancelConfig {
    /// This replica's number in process ids, 0–4095, unique among the replicas (a StatefulSet
    /// ordinal, say). Unset: a random number at start, and keys are forwarded even when they
    /// look like this replica's own (two random numbers may collide).
    pub replica_id: Option<u16>,
    /// The other replicas' PostgreSQL listeners, `host:port`.
    #[serde(default)]
    pub peers: Vec<String>,
    /// A name whose addresses are the replicas, `name:port` (a headless Service:
    /// `flinkwire-peers.flink.svc.cluster.local:5433`).
    pub peers_dns: Option<String>,
}

impl CancelConfig {
    /// Checks what a start would (check-config).
    pub fn validate(&self) -> Result<(), String> {
        if let Some(id) = self.replica_id.filter(|id| *id >= MAX_REPLICAS) {
            return Err(format!(
                "cancel.replica_id = {id}: must be below {MAX_REPLICAS}"
            ));
        }
        for peer in self.peers.iter().chain(&self.peers_dns) {
            let port = peer
                .rsplit_once(':')
                .and_then(|(host, port)| (!host.is_empty()).then_some(port));
            if port.and_then(|p| p.parse::<u16>().ok()).is_none() {
                return Err(format!("cancel peer \"{peer}\": expected host:port"));
            }
        }
        Ok(())
    }

    /// The replica number to use: the configured one, or a random one.
    pub fn replica(&self) -> u16 {
        self.replica_id.unwrap_or_else(|| {
            use ring::rand::SecureRandom;
            let mut bytes = [0u8; 2];
            let _ = ring::rand::SystemRandom::new().fill(&mut bytes);
            u16::from_be_bytes(bytes) % MAX_REPLICAS
        })
    }
}

/// Handles CancelRequests: here, or forwarded to the peers.
#[derive(Debug)]
pub struct CancelRouter {
    activity: Arc<Activity>,
    peers: Vec<String>,
    peers_dns: Option<String>,
    /// The replica number was configured, so a key with it is this replica's for sure.
    unique_replica: bool,
    forwards: Arc<tokio::sync::Semaphore>,
}

impl CancelRouter {
    pub fn new(activity: Arc<Activity>, config: &CancelConfig) -> Self {
        Self {
            activity,
            peers: config.peers.clone(),
            peers_dns: config.peers_dns.clone(),
            unique_replica: config.replica_id.is_some(),
            forwards: Arc::new(tokio::sync::Semaphore::new(MAX_FORWARDS_IN_FLIGHT)),
        }
    }

    /// A CancelRequest arrived. Returns at once; a forward runs in the background.
    pub fn handle(&self, pid: i32, secret: &SecretKey) {
        let secret = secret.to_bytes();
        if let Some(original) = secret.strip_suffix(FORWARDED_MARK.as_slice()) {
            if self.activity.cancel_request(pid, original) {
                tracing::info!(pid, "cancel request forwarded by a peer");
            }
            return;
        }
        if self.activity.cancel_request(pid, &secret) {
            return;
        }
        let ours = replica_of(pid) == self.activity.replica();
        if (ours && self.unique_replica) || (self.peers.is_empty() && self.peers_dns.is_none()) {
            tracing::debug!(pid, "cancel request for an unknown connection");
            return;
        }
        let Ok(permit) = self.forwards.clone().try_acquire_owned() else {
            tracing::warn!(pid, "cancel request dropped: {MAX_FORWARDS_IN_FLIGHT} forwards in flight");
            return;
        };
        let mut forwarded = BytesMut::from(&secret[..]);
        forwarded.extend_from_slice(FORWARDED_MARK);
        let request = CancelRequest::new(pid, SecretKey::Bytes(forwarded.freeze()));
        let (peers, dns) = (self.peers.clone(), self.peers_dns.clone());
        tracing::info!(
            pid,
            replica = replica_of(pid),
            "cancel request for another replica: forwarding it"
        );
        tokio::spawn(async move {
            forward(request, peers, dns).await;
            drop(permit);
        });
    }
}

/// Sends `request` to every peer address at once.
async fn forward(request: CancelRequest, peers: Vec<String>, dns: Option<String>) {
    let mut packet = BytesMut::new();
    if let Err(err) = request.encode(&mut packet) {
        tracing::warn!(cause = %err, "encoding a forwarded cancel request failed");
        return;
    }
    let mut addresses = Vec::new();
    for name in peers.iter().chain(&dns) {
        match tokio::time::timeout(FORWARD_TIMEOUT, tokio::net::lookup_host(name.as_str())).await {
            Ok(Ok(found)) => addresses.extend(found),
            Ok(Err(err)) => {
                tracing::warn!(peer = %name, cause = %err, "cancel peer does not resolve")
            }
            Err(_) => tracing::warn!(peer = %name, "cancel peer did not resolve in time"),
        }
    }
    addresses.sort();
    addresses.dedup();
    let sends = addresses.into_iter().map(|address| {
        let packet = packet.clone();
        async move {
            let sent = tokio::time::timeout(FORWARD_TIMEOUT, async {
                let mut socket = tokio::net::TcpStream::connect(address).await?;
                socket.write_all(&packet).await?;
                socket.shutdown().await
            })
            .await;
            match sent {
                Ok(Ok(())) => tracing::debug!(%address, "cancel request forwarded"),
                Ok(Err(err)) => {
                    tracing::warn!(%address, cause = %err, "forwarding a cancel request failed")
                }
                Err(_) => tracing::warn!(%address, "forwarding a cancel request timed out"),
            }
        }
    });
    futures::future::join_all(sends).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_bad_value() {
        let bad = CancelConfig {
            replica_id: Some(MAX_REPLICAS),
            ..Default::default()
        };
        assert!(bad.validate().unwrap_err().contains("replica_id"));
        let bad = CancelConfig {
            peers: vec!["10.0.0.2".into()],
            ..Default::default()
        };
        assert!(bad.validate().unwrap_err().contains("10.0.0.2"));
        let good = CancelConfig {
            replica_id: Some(2),
            peers: vec!["10.0.0.2:5433".into()],
            peers_dns: Some("p.svc:5433".into()),
        };
        assert!(good.validate().is_ok());
        assert!(CancelConfig::default().replica() < MAX_REPLICAS);
    }
}
