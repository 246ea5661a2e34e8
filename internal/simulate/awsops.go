package simulate

import (
	"strconv"
	"strings"
)

// The operations background activity is made of, with request and response
// shapes as CloudTrail records them.

func emptyObj(c *callCtx) []byte { return []byte("{}") }

func bucketReq(c *callCtx, extra func(w *jw)) []byte {
	b := pick(c.r, c.acct.buckets)
	return c.obj(func(w *jw) {
		w.kstr("bucketName", b)
		w.kstr("Host", b+".s3."+c.region+".amazonaws.com")
		if extra != nil {
			extra(w)
		}
	})
}

var objectPrefixes = []string{"exports/", "reports/2026/", "uploads/", "builds/", "cache/", "events/dt=", "models/"}

func objectKey(c *callCtx) string {
	p := pick(c.r, objectPrefixes)
	if p == "events/dt=" {
		return p + "2026-11-" + strconv.Itoa(10+c.r.IntN(19)) + "/part-" + randChars(c.r, hexLower, 8) + ".parquet"
	}
	return p + randChars(c.r, lowerAlnum, 10) + pick(c.r, []string{".json", ".csv.gz", ".tar.gz", ".parquet", ".zip"})
}

func s3ObjectReq(c *callCtx) []byte {
	b := pick(c.r, c.acct.buckets)
	k := objectKey(c)
	c.secretARN = "arn:aws:s3:::" + b + "/" + k // remembered for resources
	return c.obj(func(w *jw) {
		w.kstr("bucketName", b)
		w.kstr("Host", b+".s3."+c.region+".amazonaws.com")
		w.kstr("key", k)
	})
}

func s3ObjectResources(c *callCtx) []byte {
	arn := c.secretARN
	bucket := strings.TrimPrefix(arn[:strings.Index(arn, "/")], "arn:aws:s3:::")
	var w jw
	w.openA()
	w.open()
	w.kstr("type", "AWS::S3::Object")
	w.kstr("ARN", arn)
	w.close()
	w.open()
	w.kstr("accountId", c.acct.id)
	w.kstr("type", "AWS::S3::Bucket")
	w.kstr("ARN", "arn:aws:s3:::"+bucket)
	w.close()
	w.closeA()
	return w.b
}

func s3Addl(in, out int) func(c *callCtx) []byte {
	return func(c *callCtx) []byte {
		return c.obj(func(w *jw) {
			w.kstr("SignatureVersion", "SigV4")
			w.kstr("CipherSuite", "TLS_AES_128_GCM_SHA256")
			bi, bo := in, out
			if bi < 0 {
				bi = 512 + c.r.IntN(4<<20)
			}
			if bo < 0 {
				bo = 512 + c.r.IntN(4<<20)
			}
			w.kint("bytesTransferredIn", int64(bi))
			w.kstr("AuthenticationMethod", "AuthHeader")
			w.kstr("x-amz-id-2", randChars(c.r, mixedAlnum, 56)+"=")
			w.kint("bytesTransferredOut", int64(bo))
		})
	}
}

func tableResources(c *callCtx) []byte {
	var w jw
	w.openA()
	w.open()
	w.kstr("accountId", c.acct.id)
	w.kstr("type", "AWS::DynamoDB::Table")
	w.kstr("ARN", "arn:aws:dynamodb:"+c.region+":"+c.acct.id+":table/"+c.secretARN)
	w.close()
	w.closeA()
	return w.b
}

func tableReq(extra func(c *callCtx, w *jw)) func(c *callCtx) []byte {
	return func(c *callCtx) []byte {
		t := pick(c.r, c.acct.tables)
		c.secretARN = t
		return c.obj(func(w *jw) {
			w.kstr("tableName", t)
			if extra != nil {
				extra(c, w)
			}
		})
	}
}

func hiddenKey(c *callCtx, w *jw) {
	w.key("key")
	w.open()
	w.kstr("pk", "HIDDEN_DUE_TO_SECURITY_REASONS")
	w.kstr("sk", "HIDDEN_DUE_TO_SECURITY_REASONS")
	w.close()
}

func instanceID(c *callCtx) string {
	if c.inst != nil {
		return c.inst.id
	}
	if len(c.acct.instances) > 0 {
		return pick(c.r, c.acct.instances).id
	}
	return "i-0" + randChars(c.r, hexLower, 16)
}

func instancesSet(c *callCtx) []byte {
	id := instanceID(c)
	return c.obj(func(w *jw) {
		w.key("instancesSet")
		w.open()
		w.key("items")
		w.openA()
		w.open()
		w.kstr("instanceId", id)
		w.close()
		w.closeA()
		w.close()
	})
}

func emptySets(keys ...string) func(c *callCtx) []byte {
	return func(c *callCtx) []byte {
		return c.obj(func(w *jw) {
			for _, k := range keys {
				w.key(k)
				w.open()
				w.close()
			}
		})
	}
}

func roleName(c *callCtx) string {
	rs := c.acct.workloads
	if len(rs) == 0 {
		return c.acct.ciRole.name
	}
	return pick(c.r, rs).name
}

func roleNameReq(c *callCtx) []byte {
	n := roleName(c)
	return c.obj(func(w *jw) { w.kstr("roleName", n) })
}

func userNameReq(c *callCtx) []byte {
	n := pick(c.r, c.acct.users).name
	return c.obj(func(w *jw) { w.kstr("userName", n) })
}

func secretReq(c *callCtx) []byte {
	s := pick(c.r, c.acct.secrets)
	c.secretARN = s
	return c.obj(func(w *jw) { w.kstr("secretId", s) })
}

func paramReq(c *callCtx) []byte {
	p := pick(c.r, c.acct.params)
	c.paramName = p
	c.decrypt = c.r.IntN(3) != 0
	return c.obj(func(w *jw) {
		w.kstr("name", p)
		w.kbool("withDecryption", c.decrypt)
	})
}

func paramsByPathReq(c *callCtx) []byte {
	p := pick(c.r, c.acct.params)
	c.paramName = p
	c.decrypt = true
	return c.obj(func(w *jw) {
		w.kstr("path", p[:strings.LastIndex(p, "/")])
		w.kbool("recursive", true)
		w.kbool("withDecryption", true)
	})
}

func kmsDecryptReq(c *callCtx) []byte {
	app := appNames[c.r.IntN(len(appNames))]
	return c.obj(func(w *jw) {
		w.key("encryptionContext")
		w.open()
		w.kstr("app", app)
		w.close()
		w.kstr("encryptionAlgorithm", "SYMMETRIC_DEFAULT")
	})
}

func kmsKeyReq(c *callCtx) []byte {
	k := pick(c.r, c.acct.kmsKeys)
	c.secretARN = k
	return c.obj(func(w *jw) {
		w.kstr("keyId", "arn:aws:kms:"+c.region+":"+c.acct.id+":key/"+k)
		w.kstr("keySpec", "AES_256")
	})
}

func kmsRes(c *callCtx) []byte {
	k := c.secretARN
	if k == "" || strings.HasPrefix(k, "arn:") {
		k = pick(c.r, c.acct.kmsKeys)
	}
	return kmsResource(c, k, c.region)
}

func logGroupReq(c *callCtx) []byte {
	g := pick(c.r, c.acct.logs)
	return c.obj(func(w *jw) {
		w.kstr("logGroupName", g)
		w.kint("startTime", 1764000000000+int64(c.r.IntN(1e9)))
	})
}

func funcReq(c *callCtx) []byte {
	f := pick(c.r, c.acct.funcs)
	return c.obj(func(w *jw) { w.kstr("functionName", f) })
}

func ecrRepoReq(c *callCtx) []byte {
	rp := pick(c.r, c.acct.ecr)
	return c.obj(func(w *jw) {
		w.kstr("repositoryName", rp)
		w.kstr("registryId", c.acct.id)
		w.key("imageIds")
		w.openA()
		w.open()
		w.kstr("imageTag", "sha-"+randChars(c.r, hexLower, 7))
		w.close()
		w.closeA()
		w.key("acceptedMediaTypes")
		w.openA()
		w.str("application/vnd.docker.distribution.manifest.v2+json")
		w.closeA()
	})
}

func ecsServicesReq(c *callCtx) []byte {
	app := appNames[c.r.IntN(len(appNames))]
	cl := pick(c.r, c.acct.clusters)
	return c.obj(func(w *jw) {
		w.kstr("cluster", cl)
		w.key("services")
		w.openA()
		w.str(app)
		w.closeA()
	})
}

func stackReq(c *callCtx) []byte {
	app := appNames[c.r.IntN(len(appNames))]
	return c.obj(func(w *jw) { w.kstr("stackName", c.acct.name+"-"+app) })
}

func tagsReq(c *callCtx) []byte {
	id := instanceID(c)
	owner := "platform"
	if c.h != nil {
		owner = c.h.first
	}
	return c.obj(func(w *jw) {
		w.key("resourcesSet")
		w.open()
		w.key("items")
		w.openA()
		w.open()
		w.kstr("resourceId", id)
		w.close()
		w.closeA()
		w.close()
		w.key("tagSet")
		w.open()
		w.key("items")
		w.openA()
		w.open()
		w.kstr("key", "owner")
		w.kstr("value", owner)
		w.close()
		w.closeA()
		w.close()
	})
}

func metricReq(c *callCtx) []byte {
	return c.obj(func(w *jw) {
		w.key("metricDataQueries")
		w.openA()
		w.open()
		w.kstr("id", "m"+strconv.Itoa(c.r.IntN(9)))
		w.key("metricStat")
		w.open()
		w.key("metric")
		w.open()
		w.kstr("namespace", pick(c.r, []string{"AWS/EC2", "AWS/Lambda", "AWS/ApplicationELB", "AWS/RDS", "AWS/DynamoDB"}))
		w.kstr("metricName", pick(c.r, []string{"CPUUtilization", "Invocations", "Errors", "RequestCount", "ConsumedReadCapacityUnits"}))
		w.close()
		w.kint("period", 300)
		w.kstr("stat", "Average")
		w.close()
		w.kbool("returnData", true)
		w.close()
		w.closeA()
		w.kstr("startTime", "Nov 28, 2026, 12:00:00 AM")
		w.kstr("endTime", "Nov 28, 2026, 3:00:00 AM")
	})
}

func ssmInfoReq(c *callCtx) []byte {
	ip, zone, id := "10.0.0.10", c.region+"a", instanceID(c)
	if c.inst != nil {
		ip, zone = c.inst.ip, c.inst.zone
	}
	return c.obj(func(w *jw) {
		w.kstr("instanceId", id)
		w.kstr("agentVersion", "3.3.1142.0")
		w.kstr("agentStatus", "Active")
		w.kstr("platformType", "Linux")
		w.kstr("platformName", "Amazon Linux")
		w.kstr("platformVersion", "2023")
		w.kstr("iPAddress", ip)
		w.kstr("computerName", "ip-"+strings.ReplaceAll(ip, ".", "-")+".ec2.internal")
		w.kstr("agentName", "amazon-ssm-agent")
		w.kstr("availabilityZone", zone)
		w.kstr("availabilityZoneId", "use1-az"+strconv.Itoa(1+c.r.IntN(6)))
	})
}

func startSessionResp(c *callCtx) []byte {
	who := "session"
	if c.h != nil {
		who = c.h.first + "." + c.h.last
	}
	sid := who + "-0" + randChars(c.r, hexLower, 16)
	return c.obj(func(w *jw) {
		w.kstr("sessionId", sid)
		w.kstr("tokenValue", "Value hidden due to security reasons.")
		w.kstr("streamUrl", "wss://ssmmessages."+c.region+".amazonaws.com/v1/data-channel/"+sid+"?role=publish_subscribe&cell-number=AAEAA"+randChars(c.r, mixedAlnum, 40))
	})
}

func newAWSCatalog() *awsCatalog {
	cat := &awsCatalog{byName: map[string]*awsOp{}}
	add := func(op *awsOp) {
		op.source += ".amazonaws.com"
		cat.ops = append(cat.ops, op)
		cat.byName[op.source+":"+op.name] = op
	}
	ro := func(src, name string, req func(*callCtx) []byte) {
		add(&awsOp{source: src, name: name, readOnly: true, req: req, global: src == "iam" || src == "organizations" || src == "ce" || src == "health"})
	}
	wr := func(src, name string, req func(*callCtx) []byte) {
		add(&awsOp{source: src, name: name, req: req, global: src == "iam" || src == "organizations"})
	}

	// STS.
	ro("sts", "GetCallerIdentity", nil)
	ro("sts", "AssumeRole", nil)
	ro("sts", "AssumeRoleWithSAML", nil)
	ro("sts", "AssumeRoleWithWebIdentity", nil)
	ro("sts", "GetSessionToken", nil)
	add(&awsOp{source: "sts", name: "GetFederationToken"})
	add(&awsOp{source: "signin", name: "ConsoleLogin", global: true})

	// S3 management and data events.
	ro("s3", "ListBuckets", func(c *callCtx) []byte {
		return c.obj(func(w *jw) { w.kstr("Host", "s3."+c.region+".amazonaws.com") })
	})
	for _, n := range []string{"GetBucketLocation", "GetBucketPolicy", "GetBucketAcl", "GetBucketTagging", "GetBucketVersioning", "GetBucketEncryption"} {
		sub := strings.ToLower(strings.TrimPrefix(n, "GetBucket"))
		ro("s3", n, func(c *callCtx) []byte {
			return bucketReq(c, func(w *jw) { w.kstr(sub, "") })
		})
	}
	add(&awsOp{source: "s3", name: "GetObject", readOnly: true, data: true, sensitive: true, req: s3ObjectReq, addl: s3Addl(0, -1), resources: s3ObjectResources})
	add(&awsOp{source: "s3", name: "PutObject", data: true, req: s3ObjectReq, addl: s3Addl(-1, 0), resources: s3ObjectResources,
		resp: func(c *callCtx) []byte {
			return c.obj(func(w *jw) { w.kstr("x-amz-server-side-encryption", "AES256") })
		}})
	add(&awsOp{source: "s3", name: "ListObjects", readOnly: true, data: true,
		req: func(c *callCtx) []byte {
			return bucketReq(c, func(w *jw) {
				w.kstr("list-type", "2")
				w.kstr("prefix", pick(c.r, objectPrefixes))
				w.kstr("encoding-type", "url")
			})
		}, addl: s3Addl(0, -1)})

	// Secrets and parameters.
	add(&awsOp{source: "secretsmanager", name: "GetSecretValue", readOnly: true, sensitive: true, req: secretReq, follow: followKMSSecrets})
	ro("secretsmanager", "DescribeSecret", secretReq)
	ro("secretsmanager", "ListSecrets", func(c *callCtx) []byte {
		return c.obj(func(w *jw) { w.kint("maxResults", 100) })
	})
	add(&awsOp{source: "ssm", name: "GetParameter", readOnly: true, sensitive: true, req: paramReq, follow: followKMSSSM})
	add(&awsOp{source: "ssm", name: "GetParametersByPath", readOnly: true, sensitive: true, req: paramsByPathReq, follow: followKMSSSM})
	add(&awsOp{source: "ssm", name: "GetParameters", readOnly: true, sensitive: true, follow: followKMSSSM,
		req: func(c *callCtx) []byte {
			p := pick(c.r, c.acct.params)
			c.paramName, c.decrypt = p, true
			return c.obj(func(w *jw) {
				w.key("names")
				w.openA()
				w.str(p)
				w.closeA()
				w.kbool("withDecryption", true)
			})
		}})
	wr("ssm", "UpdateInstanceInformation", ssmInfoReq)
	ro("ssm", "ListInstanceAssociations", func(c *callCtx) []byte {
		id := instanceID(c)
		return c.obj(func(w *jw) {
			w.kstr("instanceId", id)
			w.kint("maxResults", 20)
		})
	})
	add(&awsOp{source: "ssm", name: "StartSession", req: func(c *callCtx) []byte {
		id := instanceID(c)
		return c.obj(func(w *jw) { w.kstr("target", id) })
	}, resp: startSessionResp})
	wr("ssm", "PutParameter", func(c *callCtx) []byte {
		p := pick(c.r, c.acct.params)
		return c.obj(func(w *jw) {
			w.kstr("name", strings.TrimSuffix(p, "api-key")+"feature-flags")
			w.kstr("type", "String")
			w.kbool("overwrite", true)
		})
	})

	// KMS.
	add(&awsOp{source: "kms", name: "Decrypt", readOnly: true, sensitive: true, req: kmsDecryptReq, resources: kmsRes})
	add(&awsOp{source: "kms", name: "GenerateDataKey", readOnly: true, req: kmsKeyReq, resources: kmsRes})
	add(&awsOp{source: "kms", name: "DescribeKey", readOnly: true, req: func(c *callCtx) []byte {
		k := pick(c.r, c.acct.kmsKeys)
		c.secretARN = k
		return c.obj(func(w *jw) { w.kstr("keyId", k) })
	}, resources: kmsRes})
	ro("kms", "ListAliases", nil)
	for _, n := range []string{"CreateKey", "PutKeyPolicy", "ScheduleKeyDeletion", "CreateGrant", "DisableKey", "EnableKeyRotation"} {
		n := n
		wr("kms", n, func(c *callCtx) []byte {
			k := pick(c.r, c.acct.kmsKeys)
			return c.obj(func(w *jw) {
				switch n {
				case "CreateKey":
					w.kstr("keySpec", "SYMMETRIC_DEFAULT")
					w.kstr("keyUsage", "ENCRYPT_DECRYPT")
					w.kbool("bypassPolicyLockoutSafetyCheck", false)
				case "PutKeyPolicy":
					w.kstr("keyId", k)
					w.kstr("policyName", "default")
					w.kstr("policy", `{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}`)
				case "ScheduleKeyDeletion":
					w.kstr("keyId", k)
					w.kint("pendingWindowInDays", 7)
				case "CreateGrant":
					w.kstr("keyId", k)
					w.kstr("granteePrincipal", "arn:aws:iam::"+attackerAccount+":root")
					w.key("operations")
					w.openA()
					w.str("Decrypt")
					w.closeA()
				default:
					w.kstr("keyId", k)
				}
			})
		})
	}

	// DynamoDB.
	add(&awsOp{source: "dynamodb", name: "GetItem", readOnly: true, data: true, req: tableReq(func(c *callCtx, w *jw) { hiddenKey(c, w); w.kbool("consistentRead", false) }), resources: tableResources})
	add(&awsOp{source: "dynamodb", name: "PutItem", data: true, req: tableReq(func(c *callCtx, w *jw) {
		w.key("item")
		w.open()
		w.kstr("pk", "HIDDEN_DUE_TO_SECURITY_REASONS")
		w.close()
	}), resources: tableResources})
	add(&awsOp{source: "dynamodb", name: "Query", readOnly: true, data: true, req: tableReq(func(c *callCtx, w *jw) {
		w.kstr("keyConditionExpression", "pk = :pk")
		w.kint("limit", 100)
	}), resources: tableResources})
	ro("dynamodb", "DescribeTable", tableReq(nil))
	ro("dynamodb", "ListTables", nil)

	// EC2.
	ro("ec2", "DescribeInstances", emptySets("instancesSet", "filterSet"))
	ro("ec2", "DescribeInstanceStatus", func(c *callCtx) []byte {
		return c.obj(func(w *jw) {
			w.key("instancesSet")
			w.open()
			w.close()
			w.key("filterSet")
			w.open()
			w.close()
			w.kbool("includeAllInstances", false)
		})
	})
	ro("ec2", "DescribeSecurityGroups", emptySets("securityGroupSet", "securityGroupIdSet", "filterSet"))
	ro("ec2", "DescribeVolumes", emptySets("volumeSet", "filterSet"))
	ro("ec2", "DescribeVpcs", emptySets("vpcSet", "filterSet"))
	ro("ec2", "DescribeSubnets", emptySets("subnetSet", "filterSet"))
	ro("ec2", "DescribeRegions", emptySets("regionSet"))
	ro("ec2", "DescribeImages", emptySets("executableBySet", "imagesSet", "ownersSet", "filterSet"))
	ro("ec2", "DescribeKeyPairs", emptySets("keySet", "filterSet"))
	ro("ec2", "DescribeTags", func(c *callCtx) []byte {
		id := instanceID(c)
		return c.obj(func(w *jw) {
			w.key("filterSet")
			w.open()
			w.key("items")
			w.openA()
			w.open()
			w.kstr("name", "resource-id")
			w.key("valueSet")
			w.open()
			w.key("items")
			w.openA()
			w.open()
			w.kstr("value", id)
			w.close()
			w.closeA()
			w.close()
			w.close()
			w.closeA()
			w.close()
		})
	})
	add(&awsOp{source: "ec2", name: "GetPasswordData", readOnly: true, sensitive: true, req: func(c *callCtx) []byte {
		id := instanceID(c)
		return c.obj(func(w *jw) { w.kstr("instanceId", id) })
	}})
	wr("ec2", "StartInstances", instancesSet)
	wr("ec2", "StopInstances", func(c *callCtx) []byte {
		b := instancesSet(c)
		return append(b[:len(b)-1], `,"force":false}`...)
	})
	wr("ec2", "CreateTags", tagsReq)
	wr("ec2", "AuthorizeSecurityGroupIngress", func(c *callCtx) []byte {
		sg := pick(c.r, c.acct.sgs)
		return c.obj(func(w *jw) {
			w.kstr("groupId", sg)
			w.key("ipPermissions")
			w.open()
			w.key("items")
			w.openA()
			w.open()
			w.kstr("ipProtocol", "tcp")
			w.kint("fromPort", 22)
			w.kint("toPort", 22)
			w.key("groups")
			w.open()
			w.close()
			w.key("ipRanges")
			w.open()
			w.key("items")
			w.openA()
			w.open()
			w.kstr("cidrIp", "0.0.0.0/0")
			w.close()
			w.closeA()
			w.close()
			w.key("ipv6Ranges")
			w.open()
			w.close()
			w.key("prefixListIds")
			w.open()
			w.close()
			w.close()
			w.closeA()
			w.close()
		})
	})
	wr("ec2", "CreateSecurityGroup", func(c *callCtx) []byte {
		vpc := c.acct.vpcs[0]
		name := "sg-" + randChars(c.r, lowerAlnum, 6)
		return c.obj(func(w *jw) {
			w.kstr("groupName", name)
			w.kstr("groupDescription", "temporary")
			w.kstr("vpcId", vpc)
		})
	})
	wr("ec2", "RevokeSecurityGroupEgress", func(c *callCtx) []byte {
		sg := pick(c.r, c.acct.sgs)
		return c.obj(func(w *jw) { w.kstr("groupId", sg) })
	})
	wr("ec2", "CreateKeyPair", func(c *callCtx) []byte {
		n := "kp-" + randChars(c.r, lowerAlnum, 8)
		return c.obj(func(w *jw) { w.kstr("keyName", n) })
	})
	wr("ec2", "ImportKeyPair", func(c *callCtx) []byte {
		n := "deploy-" + randChars(c.r, lowerAlnum, 6)
		return c.obj(func(w *jw) {
			w.kstr("keyName", n)
			w.kstr("publicKeyMaterial", "HIDDEN_DUE_TO_SECURITY_REASONS")
		})
	})
	wr("ec2", "RunInstances", func(c *callCtx) []byte {
		ami, sn := pick(c.r, c.acct.amis), pick(c.r, c.acct.subnets)
		return c.obj(func(w *jw) {
			w.key("instancesSet")
			w.open()
			w.key("items")
			w.openA()
			w.open()
			w.kstr("imageId", ami)
			w.kint("minCount", 1)
			w.kint("maxCount", 1)
			w.close()
			w.closeA()
			w.close()
			w.kstr("instanceType", "c5.4xlarge")
			w.kstr("subnetId", sn)
		})
	})
	wr("ec2", "ModifyInstanceAttribute", func(c *callCtx) []byte {
		id := instanceID(c)
		return c.obj(func(w *jw) {
			w.kstr("instanceId", id)
			w.key("userData")
			w.open()
			w.kstr("value", "HIDDEN_DUE_TO_SECURITY_REASONS")
			w.close()
		})
	})

	// IAM (global: logged in us-east-1).
	ro("iam", "ListRoles", nil)
	ro("iam", "ListUsers", nil)
	ro("iam", "ListPolicies", func(c *callCtx) []byte {
		return c.obj(func(w *jw) {
			w.kstr("scope", "Local")
			w.kbool("onlyAttached", false)
		})
	})
	ro("iam", "GetAccountSummary", nil)
	ro("iam", "GetAccountAuthorizationDetails", nil)
	ro("iam", "GetRole", roleNameReq)
	ro("iam", "ListAttachedRolePolicies", roleNameReq)
	ro("iam", "ListRolePolicies", roleNameReq)
	ro("iam", "GetUser", userNameReq)
	ro("iam", "ListAccessKeys", userNameReq)
	ro("iam", "ListMFADevices", userNameReq)
	ro("iam", "ListGroupsForUser", userNameReq)
	wr("iam", "TagRole", func(c *callCtx) []byte {
		n := roleName(c)
		return c.obj(func(w *jw) {
			w.kstr("roleName", n)
			w.key("tags")
			w.openA()
			w.open()
			w.kstr("key", "cost-center")
			w.kstr("value", strconv.Itoa(1000+c.r.IntN(50)))
			w.close()
			w.closeA()
		})
	})
	wr("iam", "PutRolePolicy", func(c *callCtx) []byte {
		n := roleName(c)
		b := pick(c.r, c.acct.buckets)
		return c.obj(func(w *jw) {
			w.kstr("roleName", n)
			w.kstr("policyName", "read-"+strings.TrimPrefix(b, "examplecorp-"))
			w.kstr("policyDocument", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::`+b+`","arn:aws:s3:::`+b+`/*"]}]}`)
		})
	})
	for _, n := range []string{"CreateRole", "AttachRolePolicy", "CreateUser", "AttachUserPolicy", "CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile", "UpdateAssumeRolePolicy", "CreatePolicy", "CreatePolicyVersion", "AddUserToGroup", "DeleteAccessKey", "UpdateAccessKey", "PutUserPolicy", "DetachRolePolicy"} {
		wr("iam", n, nil) // scenarios write their own parameters
	}

	// Organizations, CloudTrail, GuardDuty, billing, health.
	ro("organizations", "DescribeOrganization", nil)
	ro("organizations", "ListAccounts", nil)
	ro("organizations", "ListRoots", nil)
	ro("organizations", "ListPolicies", func(c *callCtx) []byte {
		return c.obj(func(w *jw) { w.kstr("filter", "SERVICE_CONTROL_POLICY") })
	})
	wr("organizations", "DetachPolicy", nil)
	wr("organizations", "DisablePolicyType", nil)
	ro("cloudtrail", "DescribeTrails", nil)
	ro("cloudtrail", "GetTrailStatus", func(c *callCtx) []byte {
		return c.obj(func(w *jw) { w.kstr("name", "arn:aws:cloudtrail:us-east-1:"+c.acct.id+":trail/org-trail") })
	})
	ro("cloudtrail", "LookupEvents", nil)
	ro("guardduty", "ListDetectors", nil)
	ro("ce", "GetCostAndUsage", func(c *callCtx) []byte {
		return c.obj(func(w *jw) {
			w.key("timePeriod")
			w.open()
			w.kstr("start", "2026-11-01")
			w.kstr("end", "2026-11-30")
			w.close()
			w.kstr("granularity", "DAILY")
		})
	})
	ro("health", "DescribeEventAggregates", func(c *callCtx) []byte {
		return c.obj(func(w *jw) { w.kstr("aggregateField", "eventTypeCategory") })
	})

	// Monitoring and logs.
	ro("monitoring", "GetMetricData", metricReq)
	ro("monitoring", "DescribeAlarms", func(c *callCtx) []byte {
		return c.obj(func(w *jw) { w.kint("maxRecords", 100) })
	})
	ro("monitoring", "ListMetrics", nil)
	ro("logs", "DescribeLogGroups", nil)
	ro("logs", "FilterLogEvents", logGroupReq)
	ro("logs", "GetLogEvents", func(c *callCtx) []byte {
		g := pick(c.r, c.acct.logs)
		s := "2026/11/28/[$LATEST]" + randChars(c.r, hexLower, 32)
		return c.obj(func(w *jw) {
			w.kstr("logGroupName", g)
			w.kstr("logStreamName", s)
		})
	})
	wr("logs", "CreateLogStream", func(c *callCtx) []byte {
		g := pick(c.r, c.acct.logs)
		s := instanceID(c) + "/" + randChars(c.r, hexLower, 12)
		return c.obj(func(w *jw) {
			w.kstr("logGroupName", g)
			w.kstr("logStreamName", s)
		})
	})

	// Lambda, ECR, ECS, CloudFormation, RDS, ELB, tagging, Athena, Glue.
	ro("lambda", "ListFunctions20150331", nil)
	ro("lambda", "GetFunction20150331v2", funcReq)
	wr("lambda", "UpdateFunctionConfiguration20150331v2", func(c *callCtx) []byte {
		f := pick(c.r, c.acct.funcs)
		return c.obj(func(w *jw) {
			w.kstr("functionName", f)
			w.kint("timeout", 30+int64(c.r.IntN(4))*30)
		})
	})
	wr("lambda", "UpdateFunctionCode20150331v2", func(c *callCtx) []byte {
		f := pick(c.r, c.acct.funcs)
		b := c.acct.buckets[0]
		return c.obj(func(w *jw) {
			w.kstr("functionName", f)
			w.kstr("s3Bucket", b)
			w.kstr("s3Key", "builds/"+f+"-"+randChars(c.r, hexLower, 7)+".zip")
			w.kbool("publish", true)
		})
	})
	ro("ecr", "GetAuthorizationToken", nil)
	ro("ecr", "BatchGetImage", ecrRepoReq)
	ro("ecr", "GetDownloadUrlForLayer", func(c *callCtx) []byte {
		rp := pick(c.r, c.acct.ecr)
		return c.obj(func(w *jw) {
			w.kstr("repositoryName", rp)
			w.kstr("registryId", c.acct.id)
			w.kstr("layerDigest", "sha256:"+randChars(c.r, hexLower, 64))
		})
	})
	ro("ecr", "BatchCheckLayerAvailability", func(c *callCtx) []byte {
		rp := pick(c.r, c.acct.ecr)
		return c.obj(func(w *jw) {
			w.kstr("repositoryName", rp)
			w.kstr("registryId", c.acct.id)
			w.key("layerDigests")
			w.openA()
			w.str("sha256:" + randChars(c.r, hexLower, 64))
			w.closeA()
		})
	})
	wr("ecr", "InitiateLayerUpload", func(c *callCtx) []byte {
		rp := pick(c.r, c.acct.ecr)
		return c.obj(func(w *jw) {
			w.kstr("repositoryName", rp)
			w.kstr("registryId", c.acct.id)
		})
	})
	wr("ecr", "CompleteLayerUpload", func(c *callCtx) []byte {
		rp := pick(c.r, c.acct.ecr)
		return c.obj(func(w *jw) {
			w.kstr("repositoryName", rp)
			w.kstr("registryId", c.acct.id)
			w.kstr("uploadId", uuid(c.r))
		})
	})
	wr("ecr", "PutImage", func(c *callCtx) []byte {
		rp := pick(c.r, c.acct.ecr)
		return c.obj(func(w *jw) {
			w.kstr("repositoryName", rp)
			w.kstr("registryId", c.acct.id)
			w.kstr("imageTag", "sha-"+randChars(c.r, hexLower, 7))
			w.kstr("imageManifest", "HIDDEN_DUE_TO_SECURITY_REASONS")
		})
	})
	ro("ecs", "ListClusters", nil)
	ro("ecs", "ListServices", func(c *callCtx) []byte {
		cl := pick(c.r, c.acct.clusters)
		return c.obj(func(w *jw) { w.kstr("cluster", cl) })
	})
	ro("ecs", "DescribeServices", ecsServicesReq)
	ro("ecs", "DescribeTaskDefinition", func(c *callCtx) []byte {
		app := appNames[c.r.IntN(len(appNames))]
		return c.obj(func(w *jw) { w.kstr("taskDefinition", app) })
	})
	wr("ecs", "RegisterTaskDefinition", func(c *callCtx) []byte {
		app := appNames[c.r.IntN(len(appNames))]
		return c.obj(func(w *jw) {
			w.kstr("family", app)
			w.kstr("networkMode", "awsvpc")
			w.key("containerDefinitions")
			w.openA()
			w.open()
			w.kstr("name", app)
			w.kstr("image", c.acct.id+".dkr.ecr."+c.region+".amazonaws.com/"+ghOrg+"/"+app+":sha-"+randChars(c.r, hexLower, 7))
			w.kbool("essential", true)
			w.close()
			w.closeA()
		})
	})
	wr("ecs", "UpdateService", func(c *callCtx) []byte {
		app := appNames[c.r.IntN(len(appNames))]
		cl := pick(c.r, c.acct.clusters)
		return c.obj(func(w *jw) {
			w.kstr("cluster", cl)
			w.kstr("service", app)
			w.kstr("taskDefinition", app)
			w.kbool("forceNewDeployment", true)
		})
	})
	ro("cloudformation", "DescribeStacks", stackReq)
	ro("cloudformation", "ListStacks", nil)
	ro("cloudformation", "DescribeStackEvents", stackReq)
	add(&awsOp{source: "cloudformation", name: "ExecuteChangeSet", req: func(c *callCtx) []byte {
		app := appNames[c.r.IntN(len(appNames))]
		return c.obj(func(w *jw) {
			w.kstr("changeSetName", "cs-"+randChars(c.r, lowerAlnum, 10))
			w.kstr("stackName", c.acct.name+"-"+app)
		})
	}, follow: followCFN})
	ro("rds", "DescribeDBInstances", nil)
	ro("rds", "DescribeDBClusters", nil)
	ro("elasticloadbalancing", "DescribeLoadBalancers", nil)
	ro("elasticloadbalancing", "DescribeTargetHealth", func(c *callCtx) []byte {
		app := appNames[c.r.IntN(len(appNames))]
		return c.obj(func(w *jw) {
			w.kstr("targetGroupArn", "arn:aws:elasticloadbalancing:"+c.region+":"+c.acct.id+":targetgroup/"+app+"/"+randChars(c.r, hexLower, 16))
		})
	})
	ro("tagging", "GetResources", func(c *callCtx) []byte {
		return c.obj(func(w *jw) { w.kint("resourcesPerPage", 100) })
	})
	add(&awsOp{source: "athena", name: "StartQueryExecution", req: func(c *callCtx) []byte {
		t := pick(c.r, c.acct.tables)
		return c.obj(func(w *jw) {
			w.kstr("queryString", "SELECT * FROM \""+strings.ReplaceAll(t, "-", "_")+"\" WHERE dt = '2026-11-27' LIMIT 100")
			w.kstr("workGroup", "primary")
		})
	}})
	ro("athena", "GetQueryExecution", func(c *callCtx) []byte {
		return c.obj(func(w *jw) { w.kstr("queryExecutionId", uuid(c.r)) })
	})
	ro("athena", "GetQueryResults", func(c *callCtx) []byte {
		return c.obj(func(w *jw) { w.kstr("queryExecutionId", uuid(c.r)) })
	})
	ro("glue", "GetTables", func(c *callCtx) []byte {
		return c.obj(func(w *jw) { w.kstr("databaseName", c.acct.name+"_lake") })
	})
	ro("glue", "GetDatabases", nil)

	cat.profiles = map[string]*profile{
		"workload": cat.makeProfile([]opWeight{
			{"secretsmanager:GetSecretValue", 3}, {"ssm:GetParameter", 3}, {"ssm:GetParametersByPath", 1}, {"kms:Decrypt", 3}, {"kms:GenerateDataKey", 3},
			{"s3:GetObject", 12}, {"s3:PutObject", 6}, {"s3:ListObjects", 2}, {"dynamodb:GetItem", 10}, {"dynamodb:PutItem", 6}, {"dynamodb:Query", 6},
			{"sts:GetCallerIdentity", 1}, {"ec2:DescribeTags", 1}, {"ec2:DescribeInstances", 0.5}, {"ssm:UpdateInstanceInformation", 3}, {"ssm:ListInstanceAssociations", 3},
			{"logs:CreateLogStream", 1}, {"ecr:GetAuthorizationToken", 0.5}, {"ecr:BatchGetImage", 0.5}, {"ecr:GetDownloadUrlForLayer", 1},
		}),
		"console": cat.makeProfile([]opWeight{
			{"ec2:DescribeInstances", 6}, {"ec2:DescribeInstanceStatus", 2}, {"ec2:DescribeSecurityGroups", 2}, {"ec2:DescribeVpcs", 1}, {"ec2:DescribeSubnets", 1}, {"ec2:DescribeVolumes", 1}, {"ec2:DescribeRegions", 1},
			{"s3:ListBuckets", 3}, {"s3:GetBucketLocation", 2}, {"s3:GetBucketPolicy", 1}, {"s3:GetBucketAcl", 1}, {"s3:GetBucketTagging", 1}, {"s3:GetBucketVersioning", 1},
			{"monitoring:GetMetricData", 4}, {"monitoring:DescribeAlarms", 2}, {"logs:DescribeLogGroups", 2}, {"logs:FilterLogEvents", 3}, {"logs:GetLogEvents", 2},
			{"lambda:ListFunctions20150331", 2}, {"lambda:GetFunction20150331v2", 2}, {"iam:ListRoles", 1}, {"iam:GetRole", 1}, {"iam:ListAttachedRolePolicies", 1},
			{"cloudformation:DescribeStacks", 2}, {"cloudformation:ListStacks", 1}, {"cloudformation:DescribeStackEvents", 1}, {"ecs:ListClusters", 1}, {"ecs:DescribeServices", 2}, {"ecs:ListServices", 1},
			{"rds:DescribeDBInstances", 1}, {"kms:ListAliases", 1}, {"kms:DescribeKey", 1}, {"secretsmanager:ListSecrets", 1}, {"secretsmanager:DescribeSecret", 1},
			{"health:DescribeEventAggregates", 1}, {"ce:GetCostAndUsage", 0.5}, {"elasticloadbalancing:DescribeLoadBalancers", 1}, {"elasticloadbalancing:DescribeTargetHealth", 1},
			{"dynamodb:ListTables", 1}, {"dynamodb:DescribeTable", 1},
			{"ec2:StartInstances", 0.15}, {"ec2:StopInstances", 0.15}, {"ec2:CreateTags", 0.3}, {"lambda:UpdateFunctionConfiguration20150331v2", 0.2}, {"ssm:StartSession", 0.3}, {"ecs:UpdateService", 0.2}, {"cloudformation:ExecuteChangeSet", 0.1},
		}),
		"cli": cat.makeProfile([]opWeight{
			{"sts:GetCallerIdentity", 2}, {"s3:ListBuckets", 2}, {"s3:ListObjects", 4}, {"s3:GetObject", 6}, {"s3:PutObject", 2},
			{"ec2:DescribeInstances", 4}, {"ec2:DescribeSecurityGroups", 1}, {"ec2:DescribeImages", 1}, {"logs:FilterLogEvents", 3}, {"logs:DescribeLogGroups", 1},
			{"lambda:ListFunctions20150331", 1}, {"lambda:GetFunction20150331v2", 1}, {"ecs:DescribeServices", 2}, {"ecs:ListServices", 1}, {"ecr:GetAuthorizationToken", 1},
			{"ecr:BatchGetImage", 1}, {"ecr:GetDownloadUrlForLayer", 2}, {"cloudformation:DescribeStacks", 1}, {"dynamodb:Query", 2}, {"dynamodb:GetItem", 2},
			{"secretsmanager:GetSecretValue", 0.5}, {"ssm:GetParameter", 1}, {"ssm:StartSession", 0.4}, {"kms:Decrypt", 0.3}, {"iam:GetRole", 0.5},
			{"ec2:CreateTags", 0.2}, {"ecs:UpdateService", 0.2}, {"lambda:UpdateFunctionCode20150331v2", 0.2},
		}),
		"admin": cat.makeProfile([]opWeight{
			{"iam:ListUsers", 2}, {"iam:GetUser", 2}, {"iam:ListAccessKeys", 2}, {"iam:GetAccountSummary", 1}, {"iam:ListPolicies", 1}, {"iam:ListRoles", 2}, {"iam:GetRole", 2},
			{"iam:ListAttachedRolePolicies", 2}, {"iam:ListRolePolicies", 1}, {"iam:ListMFADevices", 1}, {"iam:ListGroupsForUser", 1},
			{"organizations:DescribeOrganization", 1}, {"organizations:ListAccounts", 1}, {"organizations:ListPolicies", 0.5}, {"cloudtrail:DescribeTrails", 1}, {"cloudtrail:GetTrailStatus", 1},
			{"guardduty:ListDetectors", 1}, {"ec2:DescribeInstances", 3}, {"ec2:DescribeSecurityGroups", 2}, {"s3:ListBuckets", 2}, {"s3:GetBucketPolicy", 1}, {"s3:GetBucketEncryption", 1},
			{"kms:ListAliases", 1}, {"kms:DescribeKey", 1}, {"monitoring:DescribeAlarms", 1}, {"logs:FilterLogEvents", 1}, {"ce:GetCostAndUsage", 1}, {"sts:GetCallerIdentity", 1},
			{"iam:TagRole", 0.3}, {"iam:PutRolePolicy", 0.15}, {"ec2:CreateTags", 0.3}, {"kms:EnableKeyRotation", 0.1},
		}),
		"readonly": cat.makeProfile([]opWeight{
			{"ec2:DescribeInstances", 3}, {"s3:ListBuckets", 2}, {"monitoring:GetMetricData", 3}, {"monitoring:DescribeAlarms", 2}, {"logs:FilterLogEvents", 2},
			{"cloudformation:DescribeStacks", 1}, {"health:DescribeEventAggregates", 1}, {"ce:GetCostAndUsage", 1}, {"lambda:ListFunctions20150331", 1},
		}),
		"data": cat.makeProfile([]opWeight{
			{"athena:StartQueryExecution", 3}, {"athena:GetQueryExecution", 6}, {"athena:GetQueryResults", 3}, {"glue:GetTables", 2}, {"glue:GetDatabases", 1},
			{"s3:ListObjects", 4}, {"s3:GetObject", 8}, {"s3:PutObject", 2}, {"dynamodb:Query", 2}, {"sts:GetCallerIdentity", 1},
		}),
		"vendor": cat.makeProfile([]opWeight{
			{"ec2:DescribeInstances", 4}, {"ec2:DescribeVolumes", 2}, {"ec2:DescribeSecurityGroups", 2}, {"ec2:DescribeInstanceStatus", 2}, {"rds:DescribeDBInstances", 2}, {"rds:DescribeDBClusters", 1},
			{"monitoring:GetMetricData", 8}, {"monitoring:ListMetrics", 2}, {"elasticloadbalancing:DescribeLoadBalancers", 2}, {"elasticloadbalancing:DescribeTargetHealth", 2},
			{"lambda:ListFunctions20150331", 2}, {"s3:ListBuckets", 1}, {"s3:GetBucketTagging", 1}, {"s3:GetBucketLocation", 1}, {"dynamodb:ListTables", 1}, {"dynamodb:DescribeTable", 2},
			{"tagging:GetResources", 2}, {"ecs:ListClusters", 1}, {"ecs:DescribeServices", 1},
		}),
		"config": cat.makeProfile([]opWeight{
			{"ec2:DescribeInstances", 3}, {"ec2:DescribeSecurityGroups", 3}, {"ec2:DescribeVolumes", 2}, {"ec2:DescribeVpcs", 1}, {"ec2:DescribeSubnets", 1},
			{"iam:GetRole", 2}, {"iam:ListAttachedRolePolicies", 2}, {"iam:ListRolePolicies", 1}, {"s3:GetBucketAcl", 2}, {"s3:GetBucketPolicy", 2}, {"s3:GetBucketVersioning", 1},
			{"s3:GetBucketEncryption", 1}, {"kms:DescribeKey", 1}, {"lambda:GetFunction20150331v2", 1}, {"rds:DescribeDBInstances", 1},
		}),
	}
	return cat
}
