//! Starting and stopping the lab: one listener per scenario on 127.0.0.1, every task
//! owned so that `shutdown` (or dropping the lab) stops all of them.

use crate::blocked::BlockedServer;
use crate::cap::{self, MAX_CONNECTIONS};
use crate::pki::{Pki, PkiError};
use crate::scenario::{SCENARIOS, Scenario};
use crate::servers::{self, Cert, Ctx, EchoGate, Serve};
use crate::wire::CONNECTION_LIFETIME;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// What to start.
#[derive(Clone, Debug, Default)]
pub struct LabOptions {
    /// Scenario names to serve; empty = all.
    pub only: Vec<String>,
    /// Listen on `port_base + index in SCENARIOS` instead of ephemeral ports, so URLs are
    /// the same on every run.
    pub port_base: Option<u16>,
}

/// A started scenario: where to point a client.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub scenario: &'static Scenario,
    /// `ws://127.0.0.1:PORT/path` or `wss://…`.
    pub url: String,
    /// The forward proxy URL (`http://127.0.0.1:PORT`) when `plan.via_forward_proxy`.
    pub proxy: Option<String>,
    /// The scenario's own listener (the proxy's, for forward-proxy scenarios).
    pub addr: SocketAddr,
}

impl Endpoint {
    /// The `wsdoctor check` arguments that reproduce this scenario, URL last.
    pub fn check_args(&self, ca_file: Option<&str>) -> Vec<String> {
        let mut args = self
            .scenario
            .plan
            .check_flags(ca_file, self.proxy.as_deref());
        args.push(self.url.clone());
        args
    }
}

/// Why the lab could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    #[error("unknown scenario {name:?}; valid names: {valid}")]
    UnknownScenario { name: String, valid: String },
    #[error(
        "--port-base {base} leaves no room for scenario {scenario} (index {index}); use a base of at most {max}"
    )]
    PortRange {
        base: u16,
        index: usize,
        scenario: &'static str,
        max: u16,
    },
    #[error("cannot listen on 127.0.0.1:{port} for scenario {scenario}: {source}")]
    Bind {
        scenario: &'static str,
        port: u16,
        source: io::Error,
    },
    #[error(transparent)]
    Pki(#[from] PkiError),
}

/// The running lab. Dropping it aborts every server; [`Lab::shutdown`] also waits.
pub struct Lab {
    endpoints: Vec<Endpoint>,
    pki: Arc<Pki>,
    tasks: JoinSet<()>,
    blocked: Vec<BlockedServer>,
}

impl Lab {
    /// Generates the certificates and starts the selected scenarios.
    pub async fn start(opts: LabOptions) -> Result<Lab, LabError> {
        let selected = select(&opts.only)?;
        let pki = Arc::new(Pki::generate(time::OffsetDateTime::now_utc())?);
        let mut lab = Lab {
            endpoints: Vec::new(),
            pki,
            tasks: JoinSet::new(),
            blocked: Vec::new(),
        };
        for (index, scenario) in selected {
            let port = match opts.port_base {
                None => 0,
                Some(base) => u16::try_from(index)
                    .ok()
                    .and_then(|i| base.checked_add(i))
                    .ok_or(LabError::PortRange {
                        base,
                        index,
                        scenario: scenario.name,
                        max: u16::MAX - (SCENARIOS.len() as u16 - 1),
                    })?,
            };
            let endpoint = lab.start_scenario(scenario, port).await?;
            lab.endpoints.push(endpoint);
        }
        Ok(lab)
    }

    /// The started scenarios, in table order.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The endpoint of one scenario, if it was started.
    pub fn endpoint(&self, name: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.scenario.name == name)
    }

    /// The lab root CA, PEM: pass it as `--cacert`.
    pub fn ca_pem(&self) -> &str {
        &self.pki.ca_pem
    }

    /// A client certificate that `tls-client-cert-required` accepts (PEM), and its key.
    pub fn client_cert_pem(&self) -> &str {
        &self.pki.client_cert_pem
    }

    pub fn client_key_pem(&self) -> &str {
        &self.pki.client_key_pem
    }

    /// The generated certificates (for clients in tests: `lab_roots()`, `provider()`).
    pub fn pki(&self) -> &Pki {
        &self.pki
    }

    /// Stops every server and connection and waits for them to end.
    pub async fn shutdown(mut self) {
        self.tasks.shutdown().await;
        for server in self.blocked.drain(..) {
            server.stop().await;
        }
    }

    async fn start_scenario(
        &mut self,
        scenario: &'static Scenario,
        port: u16,
    ) -> Result<Endpoint, LabError> {
        let bind_err = |source| LabError::Bind {
            scenario: scenario.name,
            port,
            source,
        };
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(bind_err)?;
        let addr = listener.local_addr().map_err(bind_err)?;
        let mut ctx = Ctx {
            scenario: scenario.name,
            local: addr,
            tls: None,
            backend: None,
        };
        match scenario.serve {
            Serve::BlockedLoop(block) => {
                let std_listener = listener.into_std().map_err(bind_err)?;
                self.blocked.push(
                    BlockedServer::spawn(std_listener, scenario.name, block).map_err(bind_err)?,
                );
                return Ok(endpoint_for(scenario, addr, None));
            }
            Serve::TlsEcho { cert, client_auth } => {
                ctx.tls = Some(self.pki.server_config(cert, client_auth)?.into());
            }
            Serve::Http2(_) => {
                let alpn: &[&[u8]] = &[b"h2", b"http/1.1"];
                ctx.tls = Some(self.pki.server_config_alpn(Cert::Lab, false, alpn)?.into());
            }
            Serve::ReverseProxy(_) | Serve::ForwardProxy(_) => {
                ctx.backend = Some(self.start_backend().await?);
            }
            _ => {}
        }
        let endpoint = endpoint_for(scenario, addr, ctx.backend);
        self.tasks
            .spawn(accept_loop(listener, scenario.serve, Arc::new(ctx)));
        Ok(endpoint)
    }

    /// The echo behind a proxy scenario: internal, on an ephemeral port.
    async fn start_backend(&mut self) -> Result<SocketAddr, LabError> {
        let bind_err = |source| LabError::Bind {
            scenario: "(proxy backend)",
            port: 0,
            source,
        };
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(bind_err)?;
        let addr = listener.local_addr().map_err(bind_err)?;
        let ctx = Arc::new(Ctx {
            scenario: "(proxy backend)",
            local: addr,
            tls: None,
            backend: None,
        });
        self.tasks.spawn(accept_loop(
            listener,
            Serve::Echo {
                path: "/ws",
                gate: EchoGate::Open,
            },
            ctx,
        ));
        Ok(addr)
    }
}

/// The selected scenarios with their table index; an unknown name is an error naming
/// the valid ones.
fn select(only: &[String]) -> Result<Vec<(usize, &'static Scenario)>, LabError> {
    for name in only {
        if Scenario::named(name).is_none() {
            let valid = SCENARIOS
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(LabError::UnknownScenario {
                name: name.clone(),
                valid,
            });
        }
    }
    Ok(SCENARIOS
        .iter()
        .enumerate()
        .filter(|(_, s)| only.is_empty() || only.iter().any(|n| n == s.name))
        .collect())
}

fn endpoint_for(
    scenario: &'static Scenario,
    addr: SocketAddr,
    backend: Option<SocketAddr>,
) -> Endpoint {
    let scheme = if scenario.plan.secure { "wss" } else { "ws" };
    let (target, proxy) = match (scenario.plan.via_forward_proxy, backend) {
        (true, Some(backend)) => (backend, Some(format!("http://{addr}"))),
        _ => (addr, None),
    };
    Endpoint {
        scenario,
        url: format!("{scheme}://{target}{}", scenario.path),
        proxy,
        addr,
    }
}

async fn accept_loop(listener: TcpListener, serve: Serve, ctx: Arc<Ctx>) {
    // Owning the connection tasks here means aborting this task aborts them all.
    let mut conns = JoinSet::new();
    let mut refusals = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) if conns.len() >= MAX_CONNECTIONS => {
                    let tls = ctx.tls.as_ref();
                    cap::refuse(&mut refusals, stream, ctx.scenario, tls, MAX_CONNECTIONS);
                }
                Ok((stream, peer)) => admit(&mut conns, stream, peer, serve, &ctx),
                // Out of descriptors and the like: give the system a moment, not a busy loop.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            Some(_) = refusals.join_next(), if !refusals.is_empty() => {}
        }
    }
}

fn admit(
    conns: &mut JoinSet<()>,
    stream: TcpStream,
    peer: SocketAddr,
    serve: Serve,
    ctx: &Arc<Ctx>,
) {
    let _ = stream.set_nodelay(true);
    let ctx = ctx.clone();
    conns.spawn(async move {
        let _ = tokio::time::timeout(
            CONNECTION_LIFETIME,
            servers::serve(serve, stream, peer, ctx),
        )
        .await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_are_refused_with_the_valid_ones() {
        match select(&["no-such-thing".to_string()]) {
            Err(LabError::UnknownScenario { name, valid }) => {
                assert_eq!(name, "no-such-thing");
                assert!(valid.split(", ").any(|v| v == "healthy-echo"));
                assert_eq!(valid.split(", ").count(), SCENARIOS.len());
            }
            _ => panic!("expected UnknownScenario"),
        }
    }

    #[test]
    fn selection_keeps_table_indexes() {
        let picked = select(&["healthy-echo".into(), "wrong-path".into()]).expect("known names");
        let names: Vec<_> = picked.iter().map(|(_, s)| s.name).collect();
        assert_eq!(names, ["wrong-path", "healthy-echo"]);
        for (i, s) in picked {
            assert_eq!(SCENARIOS[i].name, s.name);
        }
        assert_eq!(select(&[]).expect("all").len(), SCENARIOS.len());
    }
}
