//! [`Client::dry_run`]: a call run through the real pipeline (build, User-Agent, skew-corrected
//! signing time, signing) up to the transport, which records the request and sends nothing.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use modelarts_http::{HttpSend, SendError};
use tracing::instrument::WithSubscriber;

use crate::client::Client;
use crate::error::Error;

/// The transport of a dry-run client: it keeps the first request it is handed and sends none.
///
/// Every request is answered with a failure that provably sent nothing and that no call retries
/// (a refused TLS handshake), so a call ends at its first request: no retry, no backoff sleep, no
/// status read after an ambiguous stop.
#[derive(Debug, Default)]
pub struct DryRunSender {
    captured: Mutex<Option<http::Request<Bytes>>>,
}

/// Why a dry-run client answered no request: nothing was sent.
#[derive(Debug, thiserror::Error)]
#[error("dry run: the request was not sent")]
pub struct NotSent;

impl SendError for NotSent {
    fn may_have_reached_server(&self) -> bool {
        false
    }

    /// Reported as a refused handshake: the one failure no call retries.
    fn is_tls_rejected(&self) -> bool {
        true
    }
}

impl DryRunSender {
    fn take(&self) -> Option<http::Request<Bytes>> {
        self.captured.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

// Refined with `Send` so that a dry-run call can run wherever the real one can (spawned tasks).
#[allow(refining_impl_trait)]
impl HttpSend for DryRunSender {
    type Error = NotSent;

    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> impl Future<Output = Result<http::Response<Bytes>, NotSent>> + Send {
        let mut slot = self.captured.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(request);
        }
        std::future::ready(Err(NotSent))
    }
}

impl<T> Client<T> {
    /// Runs `call` on a client that shares this one's configuration (endpoint, project,
    /// credentials, retry policy, clock, measured skew) but sends nothing, and returns the first
    /// request the call would have sent, exactly as it would have gone out: built, with the
    /// User-Agent, signed with the same clock. Its secret headers are marked sensitive; `Debug`
    /// hides them, printing header values does not: mask `Authorization`, `X-Security-Token` and
    /// `X-Auth-Token` before showing it.
    ///
    /// The call itself ends with the dry run's failure, which is dropped, and logs nothing (its
    /// attempt was never made). An error found before
    /// anything would be sent (an input that forms no request, a credential that cannot be signed)
    /// is returned as the call returned it.
    ///
    /// ```
    /// # use modelarts_sdk::{Client, Error, JobId, VersionId};
    /// # #[cfg(feature = "transport")]
    /// # async fn doc(client: Client, job: JobId, version: VersionId) -> Result<(), Error> {
    /// let request = client.dry_run(|c| async move { c.stop_training_job(job, version).await }).await?;
    /// assert_eq!(request.method(), http::Method::POST);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn dry_run<F, Fut, R, E>(&self, call: F) -> Result<http::Request<Bytes>, E>
    where
        F: FnOnce(Client<DryRunSender>) -> Fut,
        Fut: Future<Output = Result<R, E>>,
        E: From<Error>,
    {
        let client = Client { inner: Arc::new(self.inner.over(DryRunSender::default())) };
        // The call's logs would tell of an attempt that never was (and of its made-up failure).
        let result = call(client.clone()).with_subscriber(tracing::subscriber::NoSubscriber::default()).await;
        match (client.inner.transport.take(), result) {
            (Some(request), _) => Ok(request),
            (None, Err(e)) => Err(e),
            (None, Ok(_)) => {
                Err(Error::Internal { message: "the dry-run call made no request".to_owned() }.into())
            }
        }
    }
}
