//! The S3 operations Tessera routes, one variant per AWS operation.

macro_rules! endpoints {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// One variant per AWS S3 operation, named verbatim.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Endpoint {
            $($(#[$doc])* $name,)*
        }

        impl Endpoint {
            /// Every endpoint, in declaration order.
            pub const ALL: &'static [Endpoint] = &[$(Endpoint::$name,)*];

            /// The AWS operation name, e.g. `"PutObject"`.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Endpoint::$name => stringify!($name),)*
                }
            }
        }
    };
}

endpoints! {
    /// `GET /`
    ListBuckets,
    /// `PUT /bucket`
    CreateBucket,
    /// `DELETE /bucket`
    DeleteBucket,
    /// `HEAD /bucket`
    HeadBucket,
    /// `GET /bucket?location`
    GetBucketLocation,
    /// `GET /bucket?versioning`
    GetBucketVersioning,
    /// `GET /bucket`
    ListObjects,
    /// `GET /bucket?list-type=2`
    ListObjectsV2,
    /// `GET /bucket?versions`
    ListObjectVersions,
    /// `GET /bucket?uploads`
    ListMultipartUploads,
    /// `POST /bucket?delete`
    DeleteObjects,
    /// `GET /bucket?policy`
    GetBucketPolicy,
    /// `PUT /bucket?policy`
    PutBucketPolicy,
    /// `DELETE /bucket?policy`
    DeleteBucketPolicy,
    /// `GET /bucket?acl`
    GetBucketAcl,
    /// `PUT /bucket?acl`
    PutBucketAcl,
    /// `GET /bucket?cors`
    GetBucketCors,
    /// `PUT /bucket?cors`
    PutBucketCors,
    /// `DELETE /bucket?cors`
    DeleteBucketCors,
    /// `GET /bucket?website`
    GetBucketWebsite,
    /// `PUT /bucket?website`
    PutBucketWebsite,
    /// `DELETE /bucket?website`
    DeleteBucketWebsite,
    /// `GET /bucket?replication`
    GetBucketReplication,
    /// `PUT /bucket?replication`
    PutBucketReplication,
    /// `DELETE /bucket?replication`
    DeleteBucketReplication,
    /// `GET /bucket?notification`
    GetBucketNotificationConfiguration,
    /// `PUT /bucket?notification`
    PutBucketNotificationConfiguration,
    /// `GET /bucket/key`
    GetObject,
    /// `HEAD /bucket/key`
    HeadObject,
    /// `PUT /bucket/key`
    PutObject,
    /// `PUT /bucket/key` with `x-amz-copy-source`
    CopyObject,
    /// `DELETE /bucket/key`
    DeleteObject,
    /// `POST /bucket/key?uploads`
    CreateMultipartUpload,
    /// `PUT /bucket/key?partNumber=N&uploadId=U`
    UploadPart,
    /// `PUT /bucket/key?partNumber=N&uploadId=U` with `x-amz-copy-source`
    UploadPartCopy,
    /// `POST /bucket/key?uploadId=U`
    CompleteMultipartUpload,
    /// `DELETE /bucket/key?uploadId=U`
    AbortMultipartUpload,
    /// `GET /bucket/key?uploadId=U`
    ListParts,
    /// `GET /bucket/key?acl`
    GetObjectAcl,
    /// `PUT /bucket/key?acl`
    PutObjectAcl,
    /// `OPTIONS` on a bucket or object: a CORS preflight.
    Options,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Endpoint {
    /// The IAM action a bucket policy names for this operation, e.g.
    /// `s3:GetObject` (HeadObject is `s3:GetObject`, the multipart and copy
    /// writes are `s3:PutObject`, as in AWS). `None` for what no policy
    /// governs (ListBuckets, CreateBucket, OPTIONS preflights).
    pub fn action(&self) -> Option<&'static str> {
        use Endpoint::*;
        Some(match self {
            ListBuckets | CreateBucket | Options => return None,
            DeleteBucket => "s3:DeleteBucket",
            HeadBucket | ListObjects | ListObjectsV2 => "s3:ListBucket",
            GetBucketLocation => "s3:GetBucketLocation",
            GetBucketVersioning => "s3:GetBucketVersioning",
            ListObjectVersions => "s3:ListBucketVersions",
            ListMultipartUploads => "s3:ListBucketMultipartUploads",
            DeleteObjects | DeleteObject => "s3:DeleteObject",
            GetBucketPolicy => "s3:GetBucketPolicy",
            PutBucketPolicy => "s3:PutBucketPolicy",
            DeleteBucketPolicy => "s3:DeleteBucketPolicy",
            GetBucketAcl => "s3:GetBucketAcl",
            PutBucketAcl => "s3:PutBucketAcl",
            GetBucketCors => "s3:GetBucketCORS",
            PutBucketCors | DeleteBucketCors => "s3:PutBucketCORS",
            GetBucketWebsite => "s3:GetBucketWebsite",
            PutBucketWebsite => "s3:PutBucketWebsite",
            DeleteBucketWebsite => "s3:DeleteBucketWebsite",
            GetBucketReplication => "s3:GetReplicationConfiguration",
            PutBucketReplication | DeleteBucketReplication => "s3:PutReplicationConfiguration",
            GetBucketNotificationConfiguration => "s3:GetBucketNotification",
            PutBucketNotificationConfiguration => "s3:PutBucketNotification",
            GetObject | HeadObject => "s3:GetObject",
            PutObject
            | CopyObject
            | CreateMultipartUpload
            | UploadPart
            | UploadPartCopy
            | CompleteMultipartUpload => "s3:PutObject",
            AbortMultipartUpload => "s3:AbortMultipartUpload",
            ListParts => "s3:ListMultipartUploadParts",
            GetObjectAcl => "s3:GetObjectAcl",
            PutObjectAcl => "s3:PutObjectAcl",
        })
    }
}
