//! Browser consoles: Chrome (and other Chromium browsers), Firefox, Safari/WebKit.
//! Chrome prefixes everything with "WebSocket connection to '<url>' failed:" and has
//! reworded several messages over the years; the patterns accept both wordings.

use super::Causes::{Fixed as F, Status};
use super::Rule;
use wsdoctor_core::CauseId as C;

/// Ranked causes when a handshake failed with a status that is not shown.
pub(super) const UNKNOWN_STATUS: &[C] = &[
    C::HttpUnexpectedStatus,
    C::HttpForbidden,
    C::HttpNotFound,
    C::HttpNotUpgraded,
    C::HttpBadRequest,
    C::HttpUnauthorized,
    C::ProxyUpgradeNotForwarded,
];

pub(super) static RULES: &[Rule] = &[
    rule!(
        "chrome-unexpected-response-code",
        "chrome",
        8,
        Any,
        ["unexpected response code"],
        r"unexpected response code:?\s*(?P<status>\d{3}|<\w+>)?",
        Status(UNKNOWN_STATUS)
    ),
    rule!(
        "chrome-invalid-status-line",
        "chrome",
        8,
        Any,
        ["invalid status line"],
        r"invalid status line",
        F(&[
            C::HandshakeStatusLine,
            C::HttpNotHttp,
            C::PlaintextToTlsPort
        ])
    ),
    rule!(
        "chrome-handshake-timeout",
        "chrome",
        8,
        Any,
        [
            "handshake timed out",
            "handshake timeout",
            "timed out during opening handshake",
            "timed out during handshake"
        ],
        r"(?:opening )?handshake (?:timed out|timeout)|timed out during (?:opening )?handshake",
        F(&[
            C::HttpNoResponse,
            C::HttpGatewayTimeout,
            C::PlaintextToTlsPort
        ])
    ),
    rule!(
        "chrome-handshake-canceled",
        "chrome",
        8,
        Any,
        ["handshake was canceled", "handshake was cancelled"],
        // Closed by the page before it opened, or (wss://) a certificate Chrome would
        // not accept: it cancels the handshake instead of showing an interstitial.
        r"handshake was cancell?ed",
        F(&[C::AsyncDoubleConnect, C::TlsSelfSigned, C::TlsUnknownIssuer])
    ),
    rule!(
        "chrome-http-auth-failed",
        "chrome",
        8,
        Any,
        ["http authentication failed"],
        r"http authentication failed",
        F(&[C::HttpUnauthorized])
    ),
    rule!(
        "closed-before-established",
        "chrome",
        8,
        Any,
        [
            "before the connection is established",
            "before the connection was established"
        ],
        r"closed before the connection (?:is|was) established",
        F(&[C::AsyncDoubleConnect])
    ),
    rule!(
        "send-in-closing-state",
        "chrome",
        8,
        Any,
        ["closing or closed state"],
        r"already in closing or closed state",
        F(&[C::AsyncSendAfterClose])
    ),
    rule!(
        "firefox-invalid-state",
        "firefox",
        8,
        Any,
        ["is no longer, usable"],
        r"object that is not, or is no longer, usable",
        F(&[C::AsyncSendBeforeOpen, C::AsyncSendAfterClose])
    ),
    rule!(
        "send-in-connecting-state",
        "chrome",
        9,
        Any,
        ["connecting state", "(connecting)", "readystate 0"],
        r"still in connecting state|readystate 0|not open: readystate \d \(connecting\)",
        F(&[C::AsyncSendBeforeOpen])
    ),
    rule!(
        "constructor-scheme",
        "chrome",
        8,
        Any,
        ["scheme must be either"],
        r"scheme must be either",
        F(&[C::UrlUnsupportedScheme, C::UrlHttpScheme])
    ),
    rule!(
        "constructor-invalid-url",
        "chrome",
        7,
        Any,
        [
            "' is invalid",
            "invalid url",
            "err_invalid_url",
            "is not a valid url"
        ],
        r"the url '[^']*' is invalid|invalid url|err_invalid_url|is not a valid url",
        F(&[C::UrlUnparseable, C::UrlInvalidCharacters, C::UrlNoScheme])
    ),
    rule!(
        "constructor-subprotocol",
        "chrome",
        9,
        Any,
        ["the subprotocol", "subprotocol"],
        r"the subprotocol '[^']*' is (?:invalid|duplicated)|subprotocol[^\n]{0,40}(?:is duplicated|invalid characters|contains invalid)",
        F(&[C::UrlInvalidSubprotocol])
    ),
    rule!(
        "mixed-content",
        "chrome",
        9,
        Any,
        [
            "insecure websocket",
            "mixed content",
            "the operation is insecure"
        ],
        r"insecure websocket (?:connection|endpoint)|mixed content|the operation is insecure",
        F(&[C::UrlMixedContent])
    ),
    rule!(
        "close-code-not-allowed",
        "chrome",
        9,
        Any,
        ["the code must be either 1000"],
        r"the code must be either 1000",
        F(&[C::AsyncCloseCodeNotAllowed])
    ),
    rule!(
        "cors-blocked",
        "chrome",
        9,
        Any,
        [
            "cors",
            "cross-origin request blocked",
            "access-control-allow-origin"
        ],
        r"blocked by cors policy|cross-origin request blocked|cors request did not succeed|access-control-allow-origin|\bcors (?:error|header|policy|request)",
        F(&[C::CorsNotWebsocket])
    ),
    rule!(
        "firefox-cannot-establish",
        "firefox",
        8,
        Any,
        ["establish a connection to the server at"],
        r"can.t establish a connection to the server at",
        F(&[
            C::TcpRefused,
            C::DnsNxdomain,
            C::TlsHandshakeFailed,
            C::HttpUnexpectedStatus
        ])
    ),
    rule!(
        "firefox-interrupted",
        "firefox",
        8,
        Any,
        ["was interrupted while the page was loading"],
        r"was interrupted while the page was loading",
        F(&[
            C::SessionAbruptEof,
            C::ProxyIdleTimeout,
            C::SessionCloseGoingAway,
            C::SessionClientAborted
        ])
    ),
    rule!(
        "safari-bad-response",
        "safari",
        7,
        Any,
        ["bad response from the server", "-1011", "badserverresponse"],
        r"bad response from the server|nsurlerrordomain code=-1011|badserverresponse",
        F(&[
            C::HttpUnexpectedStatus,
            C::HttpForbidden,
            C::HttpNotFound,
            C::ProxyUpgradeNotForwarded
        ])
    ),
    rule!(
        "safari-posix-protocol-error",
        "safari",
        8,
        Any,
        ["posix error 100", "code=100"],
        r"posix error 100\b|nsposixerrordomain code=100\b",
        F(&[C::ProxyHttp2Only, C::HttpUnexpectedStatus])
    ),
    rule!(
        "safari-suspension",
        "safari",
        9,
        Any,
        ["due to suspension"],
        r"closed due to suspension",
        F(&[C::SessionClientSuspended])
    ),
    // Chromium net errors, named in the console and in HAR `_error`.
    rule!(
        "net-err-name",
        "chrome",
        8,
        Any,
        ["err_name_not_resolved", "err_name_resolution_failed"],
        r"err_name_(?:not_resolved|resolution_failed)",
        F(&[C::DnsNxdomain, C::DnsFailure])
    ),
    rule!(
        "net-err-refused",
        "chrome",
        8,
        Any,
        ["err_connection_refused"],
        r"err_connection_refused",
        F(&[C::TcpRefused])
    ),
    rule!(
        "net-err-timed-out",
        "chrome",
        8,
        Any,
        ["err_connection_timed_out", "err_timed_out"],
        r"err_(?:connection_)?timed_out",
        F(&[C::TcpTimeout, C::HttpNoResponse])
    ),
    rule!(
        "net-err-reset",
        "chrome",
        8,
        Any,
        ["err_connection_reset", "err_connection_aborted"],
        r"err_connection_(?:reset|aborted)",
        F(&[C::TcpReset, C::SessionReset])
    ),
    rule!(
        "net-err-closed",
        "chrome",
        8,
        Any,
        ["err_connection_closed", "err_empty_response"],
        r"err_connection_closed|err_empty_response",
        F(&[C::TlsHandshakeFailed, C::HttpClosedWithoutResponse])
    ),
    rule!(
        "net-err-unreachable",
        "chrome",
        8,
        Any,
        [
            "err_address_unreachable",
            "err_internet_disconnected",
            "err_network_changed"
        ],
        r"err_(?:address_unreachable|internet_disconnected|network_changed)",
        F(&[C::TcpUnreachable, C::SessionReset])
    ),
    rule!(
        "net-err-proxy",
        "chrome",
        8,
        Any,
        ["err_proxy_connection_failed"],
        r"err_proxy_connection_failed",
        F(&[C::ProxyUnreachable])
    ),
    rule!(
        "net-err-tunnel",
        "chrome",
        8,
        Any,
        [
            "err_tunnel_connection_failed",
            "tunnel via proxy server failed"
        ],
        r"err_tunnel_connection_failed|tunnel via proxy server failed",
        F(&[C::ProxyConnectRefused, C::ProxyAuthRequired])
    ),
    rule!(
        "net-err-cert-authority",
        "chrome",
        8,
        Any,
        ["err_cert_authority_invalid"],
        r"err_cert_authority_invalid",
        F(&[
            C::TlsSelfSigned,
            C::TlsUnknownIssuer,
            C::ProxyTlsIntercepted
        ])
    ),
    rule!(
        "net-err-cert-date",
        "chrome",
        8,
        Any,
        ["err_cert_date_invalid"],
        r"err_cert_date_invalid",
        F(&[C::TlsCertExpired, C::TlsCertNotYetValid])
    ),
    rule!(
        "net-err-cert-name",
        "chrome",
        8,
        Any,
        ["err_cert_common_name_invalid"],
        r"err_cert_common_name_invalid",
        F(&[C::TlsHostnameMismatch])
    ),
    rule!(
        "net-err-ssl-protocol",
        "chrome",
        7,
        Any,
        ["err_ssl_protocol_error"],
        r"err_ssl_protocol_error",
        F(&[C::TlsToPlaintextPort, C::TlsHandshakeFailed])
    ),
    rule!(
        "net-err-ssl-version",
        "chrome",
        8,
        Any,
        ["err_ssl_version_or_cipher_mismatch"],
        r"err_ssl_version_or_cipher_mismatch",
        F(&[C::TlsHandshakeFailed])
    ),
    rule!(
        "net-err-client-cert",
        "chrome",
        8,
        Any,
        [
            "err_bad_ssl_client_auth_cert",
            "err_ssl_client_auth_cert_needed"
        ],
        r"err_(?:bad_ssl_client_auth_cert|ssl_client_auth_cert_needed)",
        F(&[C::TlsClientCertRequired])
    ),
    rule!(
        "net-err-invalid-response",
        "chrome",
        8,
        Any,
        ["err_invalid_http_response"],
        r"err_invalid_http_response",
        F(&[C::HttpNotHttp, C::PlaintextToTlsPort])
    ),
    rule!(
        "net-err-http2",
        "chrome",
        8,
        Any,
        ["err_http2_protocol_error"],
        r"err_http2_protocol_error",
        F(&[C::ProxyHttp2Only])
    ),
    // The bare prefix: newer Chrome often prints nothing after it.
    rule!(
        "chrome-failed-bare",
        "chrome",
        2,
        Any,
        ["websocket connection to"],
        r"websocket connection to '[^']*' failed",
        F(&[
            C::ProxyUpgradeNotForwarded,
            C::HttpForbidden,
            C::HttpNotFound,
            C::TcpRefused,
            C::TlsUnknownIssuer
        ])
    ),
];
