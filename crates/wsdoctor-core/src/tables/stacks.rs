//! Known failure modes of identified server stacks: when the component that answered
//! the Upgrade (see [`crate::fingerprint`]) is one of these and gave one of these
//! statuses, its own known cause is ranked beside the generic cause of the status.
//!
//! `check` reads this table for a live answer (it reports the stack's cause as a second
//! finding, with the clue that named the stack), and `explain` for a pasted response
//! head (it ranks the cause second, after the status's first cause). Each entry's cause
//! is one the status table ([`super::status_causes`]) lists for those statuses, so the
//! two tables never disagree about what a status can mean.

use crate::catalog::CauseId;
use crate::evidence::HttpResponse;
use crate::fingerprint::{self, Component};

/// One stack's known way of failing a WebSocket Upgrade.
#[derive(Debug)]
pub struct StackFailure {
    /// The stack, as [`fingerprint::identify`] names it.
    pub stack: &'static str,
    /// The answers to the Upgrade in which this failure shows.
    pub statuses: &'static [u16],
    pub cause: CauseId,
    /// How the stack comes to answer so: one sentence, shown as evidence.
    pub how: &'static str,
}

/// The table. Only failure modes with a documented behaviour are listed.
pub static STACK_FAILURES: &[StackFailure] = &[
    StackFailure {
        stack: "uvicorn",
        statuses: &[404],
        cause: CauseId::ServerWebsocketUnsupported,
        how: "uvicorn without the websockets or wsproto package (or run with --ws none) logs 'Unsupported upgrade request' and hands the Upgrade to the app as a plain HTTP request, which a WebSocket-only route answers 404; pip install 'uvicorn[standard]'",
    },
    StackFailure {
        stack: "gunicorn",
        statuses: &[200, 404],
        cause: CauseId::ServerWebsocketUnsupported,
        how: "gunicorn's sync and gthread workers run WSGI, which cannot hold a WebSocket: the app answers the Upgrade as a plain request; run an eventlet/gevent worker or an ASGI server (uvicorn workers)",
    },
    StackFailure {
        stack: "Kestrel",
        statuses: &[400, 404],
        cause: CauseId::ServerWebsocketUnsupported,
        how: "ASP.NET Core without app.UseWebSockets() never sees a WebSocket request (IsWebSocketRequest is false), so the endpoint answers it as plain HTTP",
    },
    StackFailure {
        stack: "IIS",
        statuses: &[503],
        cause: CauseId::ServerWebsocketUnsupported,
        how: "IIS without the WebSocket Protocol feature (Windows feature IIS-WebSockets, or 'Web sockets' off in Azure App Service) cannot switch protocols",
    },
    StackFailure {
        stack: "Vercel",
        statuses: &[200, 400, 404],
        cause: CauseId::ServerWebsocketUnsupported,
        how: "Vercel Functions cannot hold a WebSocket: Vercel does not pass the Upgrade on, the function answers it as a plain request",
    },
    StackFailure {
        stack: "Netlify",
        statuses: &[200, 400, 404],
        cause: CauseId::ServerWebsocketUnsupported,
        how: "Netlify Functions cannot hold a WebSocket: Netlify does not pass the Upgrade on, the function answers it as a plain request",
    },
];

/// The known failures `r` shows: each identified component whose stack fails this way
/// with `r`'s status, with its entry.
pub fn stack_failures(r: &HttpResponse) -> Vec<(Component, &'static StackFailure)> {
    fingerprint::identify(r)
        .into_iter()
        .filter_map(|c| {
            let f = STACK_FAILURES
                .iter()
                .find(|f| f.stack == c.name && f.statuses.contains(&r.status))?;
            Some((c, f))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::response;
    use crate::tables::status_causes;

    #[test]
    fn every_entry_is_a_cause_the_status_table_lists() {
        for f in STACK_FAILURES {
            for s in f.statuses {
                assert!(
                    status_causes(*s).contains(&f.cause),
                    "{} {s}: {} is not in the status table",
                    f.stack,
                    f.cause
                );
            }
        }
    }

    #[test]
    fn every_stack_is_one_the_fingerprint_names() {
        // A header each stack really sends, so the table's names cannot drift from
        // the fingerprint's.
        let clue = |stack: &str| match stack {
            "uvicorn" => ("Server", "uvicorn"),
            "gunicorn" => ("Server", "gunicorn"),
            "Kestrel" => ("Server", "Kestrel"),
            "IIS" => ("Server", "Microsoft-IIS/10.0"),
            "Vercel" => ("X-Vercel-Id", "fra1::abcde-1700000000000-0123456789ab"),
            "Netlify" => ("X-Nf-Request-Id", "01HZZZZZZZZZZZZZZZZZZZZZZZ"),
            other => panic!("no clue for {other}"),
        };
        for f in STACK_FAILURES {
            let r = response(f.statuses[0], &[clue(f.stack)], "");
            let found = stack_failures(&r);
            assert_eq!(
                found.iter().map(|(c, _)| c.name).collect::<Vec<_>>(),
                [f.stack],
                "{}",
                f.stack
            );
        }
    }

    #[test]
    fn a_status_the_stack_does_not_fail_with_names_nothing() {
        assert!(stack_failures(&response(404, &[("Server", "uvicorn")], "")).len() == 1);
        assert!(stack_failures(&response(500, &[("Server", "uvicorn")], "")).is_empty());
        assert!(stack_failures(&response(404, &[("Server", "nginx")], "")).is_empty());
    }
}
