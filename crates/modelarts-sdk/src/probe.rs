//! A bounded TCP connect, for the blocking client's metadata probe: whether anything answers at an
//! address within a bound. A leaf below the call driver (`execute`) and the blocking client.

use std::time::Duration;

use modelarts_protocol::endpoint::Endpoint;

/// What a bounded TCP connect to an endpoint found.
pub(crate) enum Probe {
    /// A connection was accepted within the bound.
    Reachable,
    /// No connection within the bound (nothing answers at the address).
    Silent,
    /// The connection failed at once (refused, unreachable, a name that does not resolve).
    Failed(ProbeError),
}

/// Why a bounded connect failed; it never reached a server.
#[derive(Debug, thiserror::Error)]
#[error("cannot connect to {host}: {source}")]
pub(crate) struct ProbeError {
    host: String,
    #[source]
    source: std::io::Error,
}

impl modelarts_http::SendError for ProbeError {
    fn may_have_reached_server(&self) -> bool {
        false
    }
}

/// Opens (and closes) a TCP connection to `endpoint` within `bound`, trying each address its
/// host resolves to. Used only for the metadata service of the blocking client, whose sender's
/// connect timeout the SDK does not control. Name resolution itself is not bounded (the
/// metadata service's address is an IP literal).
pub(crate) fn probe_connect(endpoint: &Endpoint, bound: Duration) -> Probe {
    use std::net::{TcpStream, ToSocketAddrs};
    let failed = |source| Probe::Failed(ProbeError { host: endpoint.host().to_owned(), source });
    let authority: http::uri::Authority = match endpoint.host().parse() {
        Ok(a) => a,
        Err(_) => return failed(std::io::Error::other("not a host and port")),
    };
    let port = authority.port_u16().unwrap_or(if endpoint.is_https() { 443 } else { 80 });
    let host = authority.host().trim_start_matches('[').trim_end_matches(']');
    let addresses = match (host, port).to_socket_addrs() {
        Ok(a) => a,
        Err(e) => return failed(e),
    };
    let mut last = None;
    for address in addresses {
        match TcpStream::connect_timeout(&address, bound) {
            Ok(_) => return Probe::Reachable,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return Probe::Silent,
            Err(e) => last = Some(e),
        }
    }
    failed(last.unwrap_or_else(|| std::io::Error::other("the host resolves to no address")))
}
