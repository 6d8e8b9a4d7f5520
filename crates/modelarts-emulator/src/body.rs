//! The response body type: a whole buffer, or the same bytes sent slowly in chunks, or cut short
//! with an error that makes hyper drop the connection mid-body.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

/// How long a cut body waits after its data before failing.
const CUT_PAUSE: Duration = Duration::from_millis(20);

/// The body error used to abort a response mid-body (`incomplete_body` fault).
#[derive(Debug)]
pub(crate) struct BodyCut;

impl fmt::Display for BodyCut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("response body cut short by fault injection")
    }
}

impl std::error::Error for BodyCut {}

/// A response body.
pub(crate) struct ResponseBody {
    data: Bytes,
    /// The length announced in `size_hint` (and so in `Content-Length`).
    declared: u64,
    chunk: usize,
    delay: Option<Duration>,
    sleep: Option<Pin<Box<Sleep>>>,
    /// Fail after the data instead of ending.
    cut: bool,
    sent_any: bool,
}

impl ResponseBody {
    /// The whole buffer in one frame.
    pub(crate) fn full(data: impl Into<Bytes>) -> Self {
        let data = data.into();
        Self {
            declared: data.len() as u64,
            data,
            chunk: usize::MAX,
            delay: None,
            sleep: None,
            cut: false,
            sent_any: false,
        }
    }

    /// Sends `chunk`-byte frames with `delay` before each frame but the first.
    pub(crate) fn trickle(mut self, chunk: usize, delay: Duration) -> Self {
        self.chunk = chunk.max(1);
        self.delay = Some(delay);
        self
    }

    /// Announces the full length, sends the first half, then fails.
    pub(crate) fn cut_in_half(mut self) -> Self {
        self.data = self.data.slice(..self.data.len() / 2);
        self.cut = true;
        self
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = BodyCut;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyCut>>> {
        let this = self.get_mut();
        if this.data.is_empty() {
            if this.cut {
                // Pause first so hyper flushes the headers and the half body: the client must see
                // a response whose body breaks, not a connection closed before any answer.
                let sleep = this.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep(CUT_PAUSE)));
                ready!(sleep.as_mut().poll(cx));
                this.sleep = None;
                this.cut = false;
                return Poll::Ready(Some(Err(BodyCut)));
            }
            return Poll::Ready(None);
        }
        if let (Some(delay), true) = (this.delay, this.sent_any) {
            let sleep = this.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep(delay)));
            ready!(sleep.as_mut().poll(cx));
            this.sleep = None;
        }
        this.sent_any = true;
        let n = this.chunk.min(this.data.len());
        let frame = this.data.split_to(n);
        Poll::Ready(Some(Ok(Frame::data(frame))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty() && !self.cut
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.declared)
    }
}
