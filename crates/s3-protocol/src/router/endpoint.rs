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
