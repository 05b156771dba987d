//! Access control lists of buckets and objects, as S3 defines them: grants
//! of permissions to a principal (an access key id) or to one of the
//! predefined groups. An ACL is stored exactly as set: canned ACLs include
//! the owner's FULL_CONTROL grant, an ACL given grant by grant has only
//! those grants (the owner keeps full access regardless).

use serde::{Deserialize, Serialize};

/// The URI of the group of everyone, signed or not.
pub const ALL_USERS_URI: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
/// The URI of the group of every holder of a valid access key.
pub const AUTHENTICATED_USERS_URI: &str =
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// Who a grant is for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Grantee {
    /// A Tessera principal: its access key id (S3's canonical user id).
    User(String),
    AllUsers,
    AuthenticatedUsers,
}

impl Grantee {
    /// The group with `uri`, if it is one Tessera knows.
    pub fn group(uri: &str) -> Option<Grantee> {
        match uri {
            ALL_USERS_URI => Some(Grantee::AllUsers),
            AUTHENTICATED_USERS_URI => Some(Grantee::AuthenticatedUsers),
            _ => None,
        }
    }
}

/// An ACL permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    Read,
    Write,
    ReadAcp,
    WriteAcp,
    FullControl,
}

impl Permission {
    pub const ALL: [Permission; 5] = [
        Permission::Read,
        Permission::Write,
        Permission::ReadAcp,
        Permission::WriteAcp,
        Permission::FullControl,
    ];
    /// The AWS name, e.g. `READ_ACP`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Permission::Read => "READ",
            Permission::Write => "WRITE",
            Permission::ReadAcp => "READ_ACP",
            Permission::WriteAcp => "WRITE_ACP",
            Permission::FullControl => "FULL_CONTROL",
        }
    }
    pub fn parse(s: &str) -> Option<Permission> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
    /// Whether holding `self` gives `wanted` (FULL_CONTROL gives all).
    pub fn covers(&self, wanted: Permission) -> bool {
        *self == wanted || *self == Permission::FullControl
    }
}

/// One grant.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Grant {
    pub grantee: Grantee,
    pub permission: Permission,
}

/// The grants of a bucket or object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    pub grants: Vec<Grant>,
}

impl Acl {
    /// Whether a grant gives `wanted` to `who` (`None`: anonymous).
    pub fn allows(&self, who: Option<&str>, wanted: Permission) -> bool {
        self.grants.iter().any(|g| {
            g.permission.covers(wanted)
                && match &g.grantee {
                    Grantee::AllUsers => true,
                    Grantee::AuthenticatedUsers => who.is_some(),
                    Grantee::User(id) => who == Some(id.as_str()),
                }
        })
    }

    /// Whether anyone (signed or not) is granted anything.
    pub fn is_public(&self) -> bool {
        self.grants.iter().any(|g| g.grantee == Grantee::AllUsers)
    }
}

/// The canned ACLs of `x-amz-acl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CannedAcl {
    Private,
    PublicRead,
    PublicReadWrite,
    AuthenticatedRead,
    BucketOwnerRead,
    BucketOwnerFullControl,
}

impl CannedAcl {
    pub fn parse(s: &str) -> Option<CannedAcl> {
        Some(match s {
            "private" => CannedAcl::Private,
            "public-read" => CannedAcl::PublicRead,
            "public-read-write" => CannedAcl::PublicReadWrite,
            "authenticated-read" => CannedAcl::AuthenticatedRead,
            "bucket-owner-read" => CannedAcl::BucketOwnerRead,
            "bucket-owner-full-control" => CannedAcl::BucketOwnerFullControl,
            _ => return None,
        })
    }

    /// The grants it stands for on a resource whose bucket is owned by
    /// `bucket_owner` and which itself is owned by `owner`: the owner's
    /// FULL_CONTROL first, then the canned ACL's own grants.
    pub fn to_acl(self, owner: &str, bucket_owner: &str) -> Acl {
        let grant = |grantee, permission| Grant {
            grantee,
            permission,
        };
        let mut grants = vec![grant(
            Grantee::User(owner.to_string()),
            Permission::FullControl,
        )];
        grants.extend(match self {
            CannedAcl::Private => vec![],
            CannedAcl::PublicRead => vec![grant(Grantee::AllUsers, Permission::Read)],
            CannedAcl::PublicReadWrite => vec![
                grant(Grantee::AllUsers, Permission::Read),
                grant(Grantee::AllUsers, Permission::Write),
            ],
            CannedAcl::AuthenticatedRead => {
                vec![grant(Grantee::AuthenticatedUsers, Permission::Read)]
            }
            // On a bucket, or when the bucket owner owns the object, these
            // add nothing to the owner's implicit FULL_CONTROL.
            CannedAcl::BucketOwnerRead | CannedAcl::BucketOwnerFullControl
                if owner == bucket_owner =>
            {
                vec![]
            }
            CannedAcl::BucketOwnerRead => vec![grant(
                Grantee::User(bucket_owner.to_string()),
                Permission::Read,
            )],
            CannedAcl::BucketOwnerFullControl => vec![grant(
                Grantee::User(bucket_owner.to_string()),
                Permission::FullControl,
            )],
        });
        Acl { grants }
    }

    /// `private`: the owner's FULL_CONTROL only.
    pub fn private(owner: &str) -> Acl {
        CannedAcl::Private.to_acl(owner, owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_acls_and_grants() {
        let acl = CannedAcl::PublicRead.to_acl("alice", "alice");
        assert!(acl.allows(None, Permission::Read));
        assert!(!acl.allows(None, Permission::Write));
        assert!(acl.is_public());

        let acl = CannedAcl::AuthenticatedRead.to_acl("alice", "alice");
        assert!(!acl.allows(None, Permission::Read));
        assert!(acl.allows(Some("bob"), Permission::Read));

        let acl = CannedAcl::BucketOwnerFullControl.to_acl("bob", "alice");
        assert!(acl.allows(Some("alice"), Permission::WriteAcp));
        assert!(!acl.allows(Some("carol"), Permission::Read));
        assert_eq!(
            CannedAcl::BucketOwnerRead
                .to_acl("alice", "alice")
                .grants
                .len(),
            1
        );
        assert_eq!(CannedAcl::private("alice").grants.len(), 1);
        assert!(CannedAcl::private("alice").allows(Some("alice"), Permission::WriteAcp));
        assert_eq!(
            CannedAcl::parse("public-read-write"),
            Some(CannedAcl::PublicReadWrite)
        );
        assert_eq!(CannedAcl::parse("nope"), None);
        assert_eq!(Grantee::group(ALL_USERS_URI), Some(Grantee::AllUsers));
        assert!(Permission::FullControl.covers(Permission::ReadAcp));
        assert_eq!(Permission::parse("READ_ACP"), Some(Permission::ReadAcp));
    }
}
