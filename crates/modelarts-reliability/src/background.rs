//! A loopback listener served on a thread of its own (a current-thread runtime), each connection
//! handed to a task, until the owner is dropped: the shape every test server here shares.

use std::future::Future;
use std::net::SocketAddr;

/// A listener on `127.0.0.1` (a free port) being served; dropping it stops the accept loop and
/// joins the thread.
pub(crate) struct Background {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Binds and serves: `on_connection` runs as a task for every accepted connection.
    pub(crate) fn start<F, Fut>(on_connection: F) -> std::io::Result<Self>
    where
        F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                loop {
                    let accepted = tokio::select! {
                        _ = &mut stopped => return,
                        accepted = listener.accept() => accepted,
                    };
                    let Ok((stream, _)) = accepted else { continue };
                    tokio::spawn(on_connection(stream));
                }
            });
        });
        Ok(Self { addr, stop: Some(stop), thread: Some(thread) })
    }

    /// The listening address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
