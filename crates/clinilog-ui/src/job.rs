//! The window's one background-job type: a closure run on a thread of its
//! own (named, for panics and profilers), whose result the screen that
//! started it takes when a frame finds it ready. Every job the window runs
//! (the patient list and its out-of-range values, the due list, the cohort,
//! the file's check, backups, reports, imports, a reconnection) is a
//! [`Job`], held in an `Option` by whoever started it: a new job in that
//! slot supersedes the old one (its result is dropped), and
//! [`Job::cancel`] asks the closure to stop where it looks.
//!
//! The thread asks the window for a frame once its result is there, so
//! nothing polls while it runs: a frame comes when there is something to
//! take. Built on `poll-promise` (already in eframe's tree); a closure that
//! panics gives [`Died`] instead of taking the window down with it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use eframe::egui;
use poll_promise::Promise;

/// A job's closure panicked: it gave no result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Died;

/// Whether the job was asked to stop (given to its closure).
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// The flag itself, for code that takes an `AtomicBool`.
    pub fn flag(&self) -> &AtomicBool {
        &self.0
    }
}

/// A closure running on its own thread, and its result once there.
pub struct Job<T: Send + 'static> {
    promise: Promise<Option<T>>,
    cancel: Cancel,
}

impl<T: Send + 'static> Job<T> {
    /// Runs `work` on a new thread named `name`; `ctx` gets a frame when
    /// its result (or its death) is there.
    pub fn spawn(ctx: &egui::Context, name: &str, work: impl FnOnce(&Cancel) -> T + Send + 'static) -> Self {
        let cancel = Cancel::default();
        let (sender, promise) = Promise::new();
        let (asked, ctx) = (cancel.clone(), ctx.clone());
        let spawned = std::thread::Builder::new().name(name.to_owned()).spawn(move || {
            let out = catch_unwind(AssertUnwindSafe(|| work(&asked))).ok();
            sender.send(out);
            ctx.request_repaint();
        });
        let promise = match spawned {
            Ok(_) => promise,
            // No thread to be had: the job is dead at once.
            Err(_) => Promise::from_ready(None),
        };
        Self { promise, cancel }
    }

    /// Asks the closure to stop (it looks at [`Cancel`] where it can).
    pub fn cancel(&self) {
        self.cancel.0.store(true, Ordering::Relaxed);
    }

    /// Waits for the result (a backup that must end before the file is
    /// replaced or the window closes).
    pub fn wait(self) -> Result<T, Died> {
        self.promise.block_and_take().ok_or(Died)
    }

    pub fn is_ready(&self) -> bool {
        self.promise.ready().is_some()
    }

    /// The result of the job in `slot`, once it is there: the slot is then
    /// empty. `None` while it runs, or when there is none.
    pub fn take(slot: &mut Option<Self>) -> Option<Result<T, Died>> {
        if !slot.as_ref().is_some_and(Job::is_ready) {
            return None;
        }
        let job = slot.take()?;
        match job.promise.try_take() {
            Ok(out) => Some(out.ok_or(Died)),
            Err(promise) => {
                *slot = Some(Self {
                    promise,
                    cancel: job.cancel,
                });
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait<T: Send + 'static>(slot: &mut Option<Job<T>>) -> Result<T, Died> {
        for _ in 0..500 {
            if let Some(out) = Job::take(slot) {
                return out;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        panic!("the job never ended");
    }

    #[test]
    fn a_job_gives_its_result_once_and_empties_its_slot() {
        let ctx = egui::Context::default();
        let mut slot = Some(Job::spawn(&ctx, "add", |_| 2 + 2));
        assert_eq!(wait(&mut slot), Ok(4));
        assert!(slot.is_none());
        assert_eq!(Job::take(&mut slot), None);
    }

    #[test]
    fn a_job_that_panics_is_said_dead_and_a_cancelled_one_sees_it() {
        let ctx = egui::Context::default();
        let mut slot: Option<Job<u8>> = Some(Job::spawn(&ctx, "panics", |_| panic!("on purpose")));
        assert_eq!(wait(&mut slot), Err(Died));
        let (started, go) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let (s, g) = (started.clone(), go.clone());
        let mut slot = Some(Job::spawn(&ctx, "waits", move |cancel| {
            s.store(true, Ordering::Relaxed);
            while !g.load(Ordering::Relaxed) {
                std::thread::yield_now();
            }
            cancel.is_set()
        }));
        while !started.load(Ordering::Relaxed) {
            std::thread::yield_now();
        }
        assert_eq!(Job::take(&mut slot), None, "still running");
        slot.as_ref().unwrap().cancel();
        go.store(true, Ordering::Relaxed);
        assert_eq!(wait(&mut slot), Ok(true));
    }
}
