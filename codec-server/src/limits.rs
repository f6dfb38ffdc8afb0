//! Per-client limits: requests in flight and a request rate per client, answered with 429 and
//! `Retry-After`; the per-address connection cap lives in [`crate::server`] and keys
//! addresses with [`address_key`].
//!
//! A client is its credential when the request authenticated (a static token, or a JWT's
//! issuer and subject), otherwise its address. Clients are kept in one map bounded by
//! `max_clients`, so a flood of addresses cannot grow memory without limit: at the bound,
//! clients that are idle and whose rate allowance has refilled are forgotten (forgetting them
//! loses nothing), and if none is, a new client is refused until one is.

use governor::clock::{Clock, DefaultClock};
use governor::{Quota, RateLimiter};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `[limits]`: per client. Zero turns a limit off.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Sustained requests per second a client may send.
    pub requests_per_second: u32,
    /// Requests a client may send at once on top of the rate (the bucket's size).
    pub burst: u32,
    /// Requests of one client in progress at once.
    pub max_concurrent_requests: u32,
    /// Clients tracked at once (the memory bound of this module).
    pub max_clients: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        // Generous for one person's Web UI (a history page decodes in a few dozen requests) or
        // CLI; behind a proxy that hides client addresses, raise them or authenticate.
        LimitsConfig {
            requests_per_second: 200,
            burst: 400,
            max_concurrent_requests: 32,
            max_clients: 10_000,
        }
    }
}

impl LimitsConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.requests_per_second > 0 && self.burst == 0 {
            return Err("limits.burst must be at least 1 when limits.requests_per_second is set".into());
        }
        if self.max_clients == 0 {
            return Err("limits.max_clients must be at least 1".into());
        }
        Ok(())
    }

    /// How long an idle client's allowance takes to refill: after that it may be forgotten.
    fn refill_time(&self) -> Duration {
        match self.requests_per_second {
            0 => Duration::ZERO,
            rate => Duration::from_secs_f64(f64::from(self.burst) / f64::from(rate)),
        }
    }
}

/// Who a client is. Credentials are kept as digests: the map never holds a token.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ClientKey {
    Address(IpAddr),
    Credential([u8; 32]),
}

/// The address a limit counts: an IPv6 host usually holds a whole /64, so its /64 is one
/// client; an IPv4-mapped IPv6 address is its IPv4 address.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
}

impl ClientKey {
    pub fn address(ip: IpAddr) -> Self {
        ClientKey::Address(address_key(ip))
    }

    /// A credential's identity from parts that name it (never a secret itself unless hashed).
    pub fn credential(parts: &[&[u8]]) -> Self {
        let mut h = Sha256::new();
        for p in parts {
            // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
            h.update((p.len() as u64).to_le_bytes());
            h.update(p);
        }
        ClientKey::Credential(h.finalize().into())
    }
}

/// Why a request was refused; `retry_after` is what the 429 tells the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Rate { retry_after: Duration },
    Concurrency,
    TooManyClients,
}

impl Refusal {
    /// The `reason` label of the refusal counter and the log line.
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::Rate { .. } => "rate",
            Refusal::Concurrency => "concurrency",
            Refusal::TooManyClients => "clients",
        }
    }

    /// Whole seconds, at least 1 (Retry-After has no fractions).
    pub fn retry_after_secs(self) -> u64 {
        match self {
            Refusal::Rate { retry_after } => {
                retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0)
            }
            _ => 1,
        }
        .max(1)
    }
}

type DirectLimiter = RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    DefaultClock,
    governor::middleware::NoOpMiddleware<<DefaultClock as Clock>::Instant>,
>;

struct Client {
    rate: Option<DirectLimiter>,
    in_flight: AtomicU32,
    /// Milliseconds since the limiter started at which its last request ended or began.
    last_seen: AtomicU64,
}

struct State {
    settings: LimitsConfig,
    clients: HashMap<ClientKey, Arc<Client>>,
}

pub struct ClientLimiter {
    started: Instant,
    clock: DefaultClock,
    state: Mutex<State>,
}

/// A request admitted: counts as in flight for its client until dropped.
pub struct Permit {
    client: Arc<Client>,
    limiter: Arc<ClientLimiter>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.client.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.client
            .last_seen
            .store(self.limiter.now_ms(), Ordering::Relaxed);
    }
}

impl Default for ClientLimiter {
    fn default() -> Self {
        ClientLimiter {
            started: Instant::now(),
            clock: DefaultClock::default(),
            state: Mutex::new(State {
                settings: LimitsConfig::default(),
                clients: HashMap::new(),
            }),
        }
    }
}

impl ClientLimiter {
    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn new_client(&self, settings: &LimitsConfig) -> Client {
        let rate = NonZeroU32::new(settings.requests_per_second).map(|rate| {
            let burst = NonZeroU32::new(settings.burst).unwrap_or(NonZeroU32::MIN);
            RateLimiter::direct_with_clock(Quota::per_second(rate).allow_burst(burst), self.clock.clone())
        });
        Client {
            rate,
            in_flight: AtomicU32::new(0),
            last_seen: AtomicU64::new(self.now_ms()),
        }
    }

    /// The client's state, made if new; None when the map is full of clients that count.
    fn client(&self, key: ClientKey, settings: &LimitsConfig) -> Option<Arc<Client>> {
        // A panic elsewhere while holding the lock leaves the map whole: carry on with it.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.settings != *settings {
            // New limits (a reload): every client starts afresh under them.
            state.settings = settings.clone();
            state.clients.clear();
        }
        if let Some(c) = state.clients.get(&key) {
            return Some(Arc::clone(c));
        }
        if state.clients.len() >= settings.max_clients {
            let now = self.now_ms();
            let refill = settings.refill_time().as_millis() as u64;
            state.clients.retain(|_, c| {
                c.in_flight.load(Ordering::Relaxed) > 0
                    || now.saturating_sub(c.last_seen.load(Ordering::Relaxed)) < refill
            });
            if state.clients.len() >= settings.max_clients {
                return None;
            }
        }
        let c = Arc::new(self.new_client(settings));
        state.clients.insert(key, Arc::clone(&c));
        Some(c)
    }

    /// Admits one request of `key` under `settings`, or says why not.
    pub fn admit(self: &Arc<Self>, key: ClientKey, settings: &LimitsConfig) -> Result<Permit, Refusal> {
        let client = self.client(key, settings).ok_or(Refusal::TooManyClients)?;
        let max = settings.max_concurrent_requests;
        let before = client.in_flight.fetch_add(1, Ordering::Relaxed);
        client.last_seen.store(self.now_ms(), Ordering::Relaxed);
        let permit = Permit {
            client,
            limiter: Arc::clone(self),
        };
        if max > 0 && before >= max {
            return Err(Refusal::Concurrency);
        }
        if let Some(rate) = &permit.client.rate {
            rate.check().map_err(|not_until| Refusal::Rate {
                retry_after: not_until.wait_time_from(self.clock.now()),
            })?;
        }
        Ok(permit)
    }

    /// Clients tracked now.
    pub fn clients(&self) -> usize {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clients.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn settings(rate: u32, burst: u32, concurrent: u32, max_clients: usize) -> LimitsConfig {
        LimitsConfig {
            requests_per_second: rate,
            burst,
            max_concurrent_requests: concurrent,
            max_clients,
        }
    }

    fn addr(last: u8) -> ClientKey {
        ClientKey::address(IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)))
    }

    #[test]
    fn rate_per_client_with_retry_after() {
        let l = Arc::new(ClientLimiter::default());
        let s = settings(1, 3, 0, 100);
        let kept: Vec<Permit> = (0..3).map(|_| l.admit(addr(1), &s).unwrap()).collect();
        let refused = l.admit(addr(1), &s).err().unwrap();
        assert!(matches!(refused, Refusal::Rate { .. }), "{refused:?}");
        assert_eq!(refused.retry_after_secs(), 1);
        assert_eq!(refused.reason(), "rate");
        // Another client is unaffected.
        l.admit(addr(2), &s).unwrap();
        drop(kept);
    }

    #[test]
    fn concurrency_per_client() {
        let l = Arc::new(ClientLimiter::default());
        let s = settings(0, 0, 2, 100);
        let a = l.admit(addr(1), &s).unwrap();
        let _b = l.admit(addr(1), &s).unwrap();
        assert_eq!(l.admit(addr(1), &s).err(), Some(Refusal::Concurrency));
        // A refused request does not stay counted, and an ended one frees its slot.
        assert_eq!(l.admit(addr(1), &s).err(), Some(Refusal::Concurrency));
        let _other = l.admit(addr(2), &s).unwrap();
        drop(a);
        l.admit(addr(1), &s).unwrap();
    }

    #[test]
    fn the_map_is_bounded_and_forgets_only_idle_refilled_clients() {
        let l = Arc::new(ClientLimiter::default());
        // No rate: an idle client has nothing to remember and may be forgotten at once.
        let s = settings(0, 0, 4, 3);
        let busy: Vec<Permit> = (1..=3).map(|i| l.admit(addr(i), &s).unwrap()).collect();
        assert_eq!(l.admit(addr(4), &s).err(), Some(Refusal::TooManyClients));
        assert_eq!(l.clients(), 3);
        drop(busy);
        l.admit(addr(4), &s).unwrap();
        assert!(l.clients() <= 3);
        // With a rate, a client that just used its allowance is kept (forgetting it would hand
        // it a fresh burst), so a flood of new addresses is refused instead.
        let s = settings(1, 1000, 0, 2);
        for i in 10..12 {
            drop(l.admit(addr(i), &s).unwrap());
        }
        assert_eq!(l.admit(addr(12), &s).err(), Some(Refusal::TooManyClients));
        assert_eq!(l.clients(), 2);
    }

    #[test]
    fn ipv6_hosts_count_by_slash_64() {
        let a: Ipv6Addr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: Ipv6Addr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: Ipv6Addr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a.into()), address_key(b.into()));
        assert_ne!(address_key(a.into()), address_key(c.into()));
        let mapped: Ipv6Addr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(
            address_key(mapped.into()),
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7))
        );
    }

    #[test]
    fn credentials_are_distinct_digests() {
        assert_ne!(
            ClientKey::credential(&[b"ab", b"c"]),
            ClientKey::credential(&[b"a", b"bc"])
        );
        let ClientKey::Credential(d) = ClientKey::credential(&[b"token-0123456789abcdef"]) else {
            panic!()
        };
        assert!(!d.windows(5).any(|w| w == b"token"));
    }

    #[test]
    fn settings_are_checked() {
        assert!(settings(1, 0, 0, 1).validate().unwrap_err().contains("burst"));
        assert!(settings(0, 0, 0, 0)
            .validate()
            .unwrap_err()
            .contains("max_clients"));
        LimitsConfig::default().validate().unwrap();
    }
}
