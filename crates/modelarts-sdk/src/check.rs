//! [`Client::check_credentials`]: proving the credentials with one call, at IAM or, when IAM would
//! be another operator's, at the configured ModelArts endpoint.

use modelarts_http::HttpSend;

use crate::client::Client;
use crate::error::Error;
use crate::identity::CredentialCheck;
use crate::v2::V2ListQuery;
use modelarts_protocol::iam::domains::ListAuthDomains;

impl<T: HttpSend<Error: Send + Sync + 'static>> Client<T> {
    /// Proves the credentials with one call. At IAM: the project lookup of the region
    /// (`GET /v3/projects?name=`), or without a region the projects the credentials reach
    /// (`GET /v3/auth/projects`). With no region, no IAM endpoint set anywhere and an explicit
    /// ModelArts endpoint, the global Huawei IAM would be someone else's: then one job of the
    /// configured ModelArts endpoint is listed instead (a v2 search of one job: v2 is the API every
    /// account has; v1 was retired for new jobs), which also proves the project. A 401 is
    /// explained as a wrong key or clock skew, with the skew measured from the answer.
    pub async fn check_credentials(&self) -> Result<CredentialCheck, Error> {
        if self.inner.identity.proves_at_modelarts() {
            let query = V2ListQuery::default().with_limit(1);
            self.list_training_jobs_v2(&query).await?;
            let (user, user_note) = self.user();
            return Ok(CredentialCheck {
                call: "list_training_jobs_v2",
                proved_at: "modelarts",
                iam_endpoint_source: None,
                host: self.inner.endpoint.host().to_owned(),
                request_id: None,
                skew_millis: self.clock_skew_millis(),
                projects: Vec::new(),
                account: None,
                account_note: Some(
                    "not asked: no IAM endpoint is set for this ModelArts endpoint (--iam-endpoint)"
                        .to_owned(),
                ),
                user,
                user_note,
            });
        }
        let pipeline = self.pipeline();
        let (auth, _) = self.inner.auth.current();
        use modelarts_protocol::iam::projects::{ListAuthProjects, ListProjects};
        let iam = &self.inner.identity.iam;
        let (call, list) = match &self.inner.identity.region {
            Some(region) => {
                let list = pipeline.run(&ListProjects::new(region.as_str()), iam, Some(&auth)).await;
                ("list_projects", list)
            }
            // Without a region, the projects the credentials reach: still an IAM call, never ModelArts.
            None => ("list_auth_projects", pipeline.run(&ListAuthProjects, iam, Some(&auth)).await),
        };
        let list = list.map_err(|e| crate::identity::explain_refusal(&pipeline, e, iam))?;
        // The account: IAM's `GET /v3/auth/domains`; its failure leaves the account unnamed, with
        // why, since the credentials are proved already.
        let (account, account_note) = match pipeline.run(&ListAuthDomains, iam, Some(&auth)).await {
            Ok(found) => match found.domains.iter().find_map(|d| d.name.clone()) {
                Some(name) => (Some(name), None),
                None => (None, Some("IAM's GET /v3/auth/domains listed no account".to_owned())),
            },
            Err(e) => (None, Some(format!("IAM's GET /v3/auth/domains failed: {e}"))),
        };
        let (user, user_note) = self.user();
        Ok(CredentialCheck {
            call,
            proved_at: "iam",
            iam_endpoint_source: Some(self.inner.identity.iam_source.to_string()),
            host: iam.host().to_owned(),
            request_id: list.trace_id,
            skew_millis: self.clock_skew_millis(),
            projects: list.projects,
            account,
            account_note,
            user,
            user_note,
        })
    }

    /// The IAM user, where the credentials say it, or why not.
    fn user(&self) -> (Option<String>, Option<String>) {
        match self.inner.auth.login_user() {
            Some(user) => (Some(user), None),
            None => (
                None,
                Some(
                    "not named: IAM tells the holder of an access key only its user's ID \
                     (GET /v3.0/OS-CREDENTIAL/credentials/{ak}), and a user's name needs administrator \
                     rights; `modelarts configure list` shows which credentials are used"
                        .to_owned(),
                ),
            ),
        }
    }
}
