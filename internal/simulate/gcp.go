package simulate

import (
	"math/rand/v2"
	"strings"
	"time"
)

// gcpEntry is one Cloud Audit Logs entry (LogEntry with an AuditLog
// protoPayload), as a Cloud Logging sink writes it to Cloud Storage.
type gcpEntry struct {
	t            time.Time
	proj         *project
	m            *gcpMethod
	principal    string
	keyName      string   // authenticationInfo.serviceAccountKeyName
	delegation   []string // serviceAccountDelegationInfo[].firstPartyPrincipal.principalEmail
	subject      string   // serviceAccountDelegationInfo[].principalSubject (workload identity federation)
	psubject     string   // authenticationInfo.principalSubject when there is no principalEmail
	callerIP     string
	ua           string
	resourceName string
	resType      string
	resLabels    [][2]string
	permission   string
	request      []byte
	response     []byte
	denied       bool
	insertID     string
}

func (e *gcpEntry) activity() bool { return e.m.activity }

// render writes the entry in the field order of a Cloud Storage export.
func (e *gcpEntry) render(w *jw) {
	w.open()
	w.key("protoPayload")
	w.open()
	w.kstr("@type", "type.googleapis.com/google.cloud.audit.AuditLog")
	w.key("status")
	w.open()
	if e.denied {
		w.kint("code", 7)
		w.kstr("message", "PERMISSION_DENIED")
	}
	w.close()
	w.key("authenticationInfo")
	w.open()
	w.kstrOmit("principalEmail", e.principal)
	w.kstrOmit("serviceAccountKeyName", e.keyName)
	if len(e.delegation) > 0 || e.subject != "" {
		w.key("serviceAccountDelegationInfo")
		w.openA()
		for _, d := range e.delegation {
			w.open()
			w.key("firstPartyPrincipal")
			w.open()
			w.kstr("principalEmail", d)
			w.close()
			w.close()
		}
		if e.subject != "" {
			w.open()
			w.kstr("principalSubject", e.subject)
			w.close()
		}
		w.closeA()
	}
	if e.psubject != "" {
		w.kstr("principalSubject", e.psubject)
	} else if strings.HasSuffix(e.principal, ".gserviceaccount.com") {
		w.kstr("principalSubject", "serviceAccount:"+e.principal)
	} else if e.principal != "" {
		w.kstr("principalSubject", "user:"+e.principal)
	}
	w.close()
	w.key("requestMetadata")
	w.open()
	w.kstr("callerIp", e.callerIP)
	w.kstr("callerSuppliedUserAgent", e.ua)
	w.key("requestAttributes")
	w.open()
	w.key("time")
	w.time(e.t, layoutGCP)
	w.key("auth")
	w.open()
	w.close()
	w.close()
	w.key("destinationAttributes")
	w.open()
	w.close()
	w.close()
	w.kstr("serviceName", e.m.service)
	w.kstr("methodName", e.m.method)
	w.key("authorizationInfo")
	w.openA()
	w.open()
	w.kstr("resource", e.resourceName)
	w.kstr("permission", e.permission)
	w.kbool("granted", !e.denied)
	w.key("resourceAttributes")
	w.open()
	w.close()
	w.close()
	w.closeA()
	w.kstr("resourceName", e.resourceName)
	if e.request != nil {
		w.key("request")
		w.raw(e.request)
	}
	if e.response != nil && !e.denied {
		w.key("response")
		w.raw(e.response)
	}
	w.close()
	w.kstr("insertId", e.insertID)
	w.key("resource")
	w.open()
	w.kstr("type", e.resType)
	w.key("labels")
	w.open()
	for _, kv := range e.resLabels {
		w.kstr(kv[0], kv[1])
	}
	w.close()
	w.close()
	w.key("timestamp")
	w.time(e.t, layoutGCP)
	sev := "INFO"
	if e.m.activity {
		sev = "NOTICE"
	}
	if e.denied {
		sev = "ERROR"
	}
	w.kstr("severity", sev)
	kind := "data_access"
	if e.m.activity {
		kind = "activity"
	}
	w.kstr("logName", "projects/"+e.proj.id+"/logs/cloudaudit.googleapis.com%2F"+kind)
	w.key("receiveTimestamp")
	w.time(e.t.Add(time.Duration(40+int(e.t.UnixNano()%900))*time.Millisecond), layoutGCP)
	w.close()
}

// gcpMethod is an audited API method and how to fill an entry for it.
type gcpMethod struct {
	service    string
	method     string
	activity   bool // Admin Activity (else Data Access)
	permission string
	fill       func(r *rand.Rand, e *gcpEntry, c *gcpCtx)
}

type gcpCtx struct {
	vm     *gceVM
	target *serviceAccount // GenerateAccessToken, CreateServiceAccountKey
	keyID  string
	w      jw
}

func (c *gcpCtx) obj(f func(w *jw)) []byte {
	c.w.reset()
	c.w.open()
	f(&c.w)
	c.w.close()
	return c.w.bytes()
}

type gcpCatalog struct {
	methods  map[string]*gcpMethod
	profiles map[string]*gcpProfile
}

type gcpProfile struct {
	ms  []*gcpMethod
	cum []float64
}

func (p *gcpProfile) pick(r *rand.Rand) *gcpMethod {
	x := r.Float64() * p.cum[len(p.cum)-1]
	for i, c := range p.cum {
		if x < c {
			return p.ms[i]
		}
	}
	return p.ms[len(p.ms)-1]
}

func (g *gcpCatalog) m(name string) *gcpMethod {
	m, ok := g.methods[name]
	if !ok {
		panic("simulate: unknown gcp method " + name) // a bug in the catalogue
	}
	return m
}

func zoneOf(r *rand.Rand, p *project, c *gcpCtx) string {
	if c.vm != nil {
		return c.vm.zone
	}
	return p.region + "-" + string(rune('a'+r.IntN(3)))
}

func newGCPCatalog() *gcpCatalog {
	g := &gcpCatalog{methods: map[string]*gcpMethod{}}
	add := func(m *gcpMethod) { g.methods[m.method] = m }
	bucketObj := func(create bool) func(r *rand.Rand, e *gcpEntry, c *gcpCtx) {
		return func(r *rand.Rand, e *gcpEntry, c *gcpCtx) {
			b := pick(r, e.proj.buckets)
			obj := pick(r, []string{"exports/", "daily/", "models/", "staging/"}) + randChars(r, lowerAlnum, 10) + pick(r, []string{".json", ".csv", ".parquet", ".tar.gz"})
			e.resourceName = "projects/_/buckets/" + b + "/objects/" + obj
			e.resType = "gcs_bucket"
			e.resLabels = [][2]string{{"bucket_name", b}, {"location", e.proj.region}, {"project_id", e.proj.id}}
		}
	}
	add(&gcpMethod{service: "storage.googleapis.com", method: "storage.objects.get", permission: "storage.objects.get", fill: bucketObj(false)})
	add(&gcpMethod{service: "storage.googleapis.com", method: "storage.objects.create", permission: "storage.objects.create", fill: bucketObj(true)})
	add(&gcpMethod{service: "storage.googleapis.com", method: "storage.objects.list", permission: "storage.objects.list", fill: func(r *rand.Rand, e *gcpEntry, c *gcpCtx) {
		b := pick(r, e.proj.buckets)
		e.resourceName = "projects/_/buckets/" + b
		e.resType = "gcs_bucket"
		e.resLabels = [][2]string{{"bucket_name", b}, {"location", e.proj.region}, {"project_id", e.proj.id}}
	}})
	add(&gcpMethod{service: "storage.googleapis.com", method: "storage.buckets.create", activity: true, permission: "storage.buckets.create", fill: func(r *rand.Rand, e *gcpEntry, c *gcpCtx) {
		b := e.proj.id + "-tmp-" + randChars(r, lowerAlnum, 5)
		e.resourceName = "projects/_/buckets/" + b
		e.resType = "gcs_bucket"
		e.resLabels = [][2]string{{"bucket_name", b}, {"location", e.proj.region}, {"project_id", e.proj.id}}
		e.request = c.obj(func(w *jw) {
			w.key("defaultObjectAcl")
			w.open()
			w.kstr("@type", "type.googleapis.com/google.iam.v1.Policy")
			w.close()
			w.kstr("@type", "type.googleapis.com/storage.buckets.create")
		})
	}})
	add(&gcpMethod{service: "secretmanager.googleapis.com", method: "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion", permission: "secretmanager.versions.access", fill: func(r *rand.Rand, e *gcpEntry, c *gcpCtx) {
		s := pick(r, e.proj.secrets)
		e.resourceName = "projects/" + e.proj.number + "/secrets/" + s + "/versions/latest"
		e.resType = "audited_resource"
		e.resLabels = [][2]string{{"method", "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion"}, {"project_id", e.proj.id}, {"service", "secretmanager.googleapis.com"}}
		e.request = c.obj(func(w *jw) {
			w.kstr("@type", "type.googleapis.com/google.cloud.secretmanager.v1.AccessSecretVersionRequest")
			w.kstr("name", e.resourceName)
		})
	}})
	add(&gcpMethod{service: "compute.googleapis.com", method: "v1.compute.instances.list", permission: "compute.instances.list", fill: func(r *rand.Rand, e *gcpEntry, c *gcpCtx) {
		z := zoneOf(r, e.proj, c)
		e.resourceName = "projects/" + e.proj.id + "/zones/" + z + "/instances"
		e.resType = "gce_instance"
		e.resLabels = [][2]string{{"instance_id", ""}, {"project_id", e.proj.id}, {"zone", z}}
		e.request = c.obj(func(w *jw) { w.kstr("@type", "type.googleapis.com/compute.instances.list") })
	}})
	for _, verb := range []string{"start", "stop", "setMetadata", "insert"} {
		verb := verb
		add(&gcpMethod{service: "compute.googleapis.com", method: "v1.compute.instances." + verb, activity: true, permission: "compute.instances." + verb, fill: func(r *rand.Rand, e *gcpEntry, c *gcpCtx) {
			vm := pick(r, e.proj.vms)
			name, id := vm.name, vm.id
			if verb == "insert" {
				name, id = "vm-"+randChars(r, lowerAlnum, 6), "7"+digits(r, 18)
			}
			e.resourceName = "projects/" + e.proj.id + "/zones/" + vm.zone + "/instances/" + name
			e.resType = "gce_instance"
			e.resLabels = [][2]string{{"instance_id", id}, {"project_id", e.proj.id}, {"zone", vm.zone}}
			e.request = c.obj(func(w *jw) { w.kstr("@type", "type.googleapis.com/compute.instances."+verb) })
			e.response = c.obj(func(w *jw) {
				w.kstr("@type", "type.googleapis.com/operation")
				w.kstr("id", digits(r, 19))
				w.kstr("name", "operation-"+digits(r, 13)+"-"+randChars(r, hexLower, 12))
				w.kstr("operationType", verb)
				w.kstr("status", "RUNNING")
				w.kstr("targetId", id)
			})
		}})
	}
	add(&gcpMethod{service: "compute.googleapis.com", method: "v1.compute.firewalls.insert", activity: true, permission: "compute.firewalls.create", fill: func(r *rand.Rand, e *gcpEntry, c *gcpCtx) {
		name := "allow-" + randChars(r, lowerAlnum, 6)
		e.resourceName = "projects/" + e.proj.id + "/global/firewalls/" + name
		e.resType = "gce_firewall_rule"
		e.resLabels = [][2]string{{"firewall_rule_id", digits(r, 19)}, {"project_id", e.proj.id}}
		e.request = c.obj(func(w *jw) {
			w.kstr("@type", "type.googleapis.com/compute.firewalls.insert")
			w.kstr("name", name)
			w.key("sourceRanges")
			w.openA()
			w.str("10.0.0.0/8")
			w.closeA()
		})
	}})
	add(&gcpMethod{service: "cloudresourcemanager.googleapis.com", method: "GetIamPolicy", permission: "resourcemanager.projects.getIamPolicy", fill: func(r *rand.Rand, e *gcpEntry, c *gcpCtx) {
		e.resourceName = "projects/" + e.proj.id
		e.resType = "project"
		e.resLabels = [][2]string{{"project_id", e.proj.id}}
		e.request = c.obj(func(w *jw) {
			w.kstr("@type", "type.googleapis.com/google.iam.v1.GetIamPolicyRequest")
			w.kstr("resource", "projects/"+e.proj.id)
		})
	}})
	add(&gcpMethod{service: "bigquery.googleapis.com", method: "google.cloud.bigquery.v2.JobService.InsertJob", permission: "bigquery.jobs.create", fill: func(r *rand.Rand, e *gcpEntry, c *gcpCtx) {
		e.resourceName = "projects/" + e.proj.id + "/jobs/job_" + randChars(r, mixedAlnum, 20)
		e.resType = "bigquery_project"
		e.resLabels = [][2]string{{"location", "US"}, {"project_id", e.proj.id}}
	}})
	add(&gcpMethod{service: "run.googleapis.com", method: "google.cloud.run.v1.Services.GetService", permission: "run.services.get", fill: runFill(false)})
	add(&gcpMethod{service: "run.googleapis.com", method: "google.cloud.run.v1.Services.ReplaceService", activity: true, permission: "run.services.update", fill: runFill(true)})
	saFill := func(r *rand.Rand, e *gcpEntry, c *gcpCtx) {
		sa := c.target
		if sa == nil {
			sa = pick(r, e.proj.sas)
		}
		e.resourceName = "projects/-/serviceAccounts/" + sa.uniqueID
		e.resType = "service_account"
		e.resLabels = [][2]string{{"email_id", sa.email}, {"project_id", e.proj.id}, {"unique_id", sa.uniqueID}}
	}
	add(&gcpMethod{service: "iamcredentials.googleapis.com", method: "GenerateAccessToken", permission: "iam.serviceAccounts.getAccessToken", fill: func(r *rand.Rand, e *gcpEntry, c *gcpCtx) {
		saFill(r, e, c)
		sa := c.target
		e.request = c.obj(func(w *jw) {
			w.kstr("@type", "type.googleapis.com/google.iam.credentials.v1.GenerateAccessTokenRequest")
			w.kstr("name", "projects/-/serviceAccounts/"+sa.email)
		})
		e.response = c.obj(func(w *jw) {
			w.kstr("@type", "type.googleapis.com/google.iam.credentials.v1.GenerateAccessTokenResponse")
			w.key("expire_time")
			w.time(e.t.Add(time.Hour), "2006-01-02T15:04:05.000Z")
		})
	}})
	add(&gcpMethod{service: "iam.googleapis.com", method: "google.iam.admin.v1.CreateServiceAccountKey", activity: true, permission: "iam.serviceAccountKeys.create", fill: func(r *rand.Rand, e *gcpEntry, c *gcpCtx) {
		saFill(r, e, c)
		sa := c.target
		e.request = c.obj(func(w *jw) {
			w.kstr("@type", "type.googleapis.com/google.iam.admin.v1.CreateServiceAccountKeyRequest")
			w.kstr("name", "projects/-/serviceAccounts/"+sa.uniqueID)
			w.kint("private_key_type", 2)
		})
		e.response = c.obj(func(w *jw) {
			w.kstr("@type", "type.googleapis.com/google.iam.admin.v1.ServiceAccountKey")
			w.kstr("name", "projects/"+sa.project.id+"/serviceAccounts/"+sa.email+"/keys/"+c.keyID)
			w.key("valid_after_time")
			w.open()
			w.kint("seconds", e.t.Unix())
			w.close()
			w.key("valid_before_time")
			w.open()
			w.kint("seconds", 253402300799)
			w.close()
			w.kint("key_algorithm", 2)
			w.kint("key_origin", 2)
			w.kint("key_type", 1)
		})
	}})
	add(&gcpMethod{service: "cloudresourcemanager.googleapis.com", method: "SetIamPolicy", activity: true, permission: "resourcemanager.projects.setIamPolicy", fill: func(r *rand.Rand, e *gcpEntry, c *gcpCtx) {
		e.resourceName = "projects/" + e.proj.id
		e.resType = "project"
		e.resLabels = [][2]string{{"project_id", e.proj.id}}
	}})

	mk := func(ws map[string]float64, order []string) *gcpProfile {
		p := &gcpProfile{}
		s := 0.0
		for _, k := range order {
			s += ws[k]
			p.ms = append(p.ms, g.m(k))
			p.cum = append(p.cum, s)
		}
		return p
	}
	g.profiles = map[string]*gcpProfile{
		"human": mk(map[string]float64{"v1.compute.instances.list": 4, "storage.objects.list": 3, "storage.objects.get": 3, "GetIamPolicy": 1, "google.cloud.bigquery.v2.JobService.InsertJob": 3, "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion": 0.4, "v1.compute.instances.start": 0.15, "v1.compute.instances.stop": 0.15, "google.cloud.run.v1.Services.GetService": 1},
			[]string{"v1.compute.instances.list", "storage.objects.list", "storage.objects.get", "GetIamPolicy", "google.cloud.bigquery.v2.JobService.InsertJob", "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion", "v1.compute.instances.start", "v1.compute.instances.stop", "google.cloud.run.v1.Services.GetService"}),
		"vm": mk(map[string]float64{"storage.objects.get": 10, "storage.objects.create": 5, "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion": 2, "google.cloud.bigquery.v2.JobService.InsertJob": 2, "storage.objects.list": 1},
			[]string{"storage.objects.get", "storage.objects.create", "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion", "google.cloud.bigquery.v2.JobService.InsertJob", "storage.objects.list"}),
		"ci": mk(map[string]float64{"storage.objects.create": 2, "google.cloud.run.v1.Services.GetService": 2, "google.cloud.run.v1.Services.ReplaceService": 1, "v1.compute.instances.list": 1},
			[]string{"storage.objects.create", "google.cloud.run.v1.Services.GetService", "google.cloud.run.v1.Services.ReplaceService", "v1.compute.instances.list"}),
	}
	return g
}

func runFill(write bool) func(r *rand.Rand, e *gcpEntry, c *gcpCtx) {
	return func(r *rand.Rand, e *gcpEntry, c *gcpCtx) {
		svc := pick(r, appNames)
		e.resourceName = "namespaces/" + e.proj.id + "/services/" + svc
		e.resType = "cloud_run_revision"
		e.resLabels = [][2]string{{"configuration_name", ""}, {"location", e.proj.region}, {"project_id", e.proj.id}, {"revision_name", ""}, {"service_name", svc}}
		if write {
			e.request = c.obj(func(w *jw) {
				w.kstr("@type", "type.googleapis.com/google.cloud.run.v1.ReplaceServiceRequest")
				w.kstr("name", e.resourceName)
			})
		}
	}
}

// newGCPEntry builds an entry for method m by principal.
func newGCPEntry(r *rand.Rand, t time.Time, proj *project, m *gcpMethod, principal, ip, ua string, c *gcpCtx) *gcpEntry {
	e := &gcpEntry{t: t, proj: proj, m: m, principal: principal, callerIP: ip, ua: ua, permission: m.permission, insertID: randChars(r, lowerAlnum, 12)}
	m.fill(r, e, c)
	return e
}

// vmUA is the client library user agent of a workload on a VM.
func vmUA(vm *gceVM) string {
	switch int(vm.id[len(vm.id)-1]-'0') % 3 {
	case 0:
		return "gcloud-golang-storage/20151204 google-api-go-client/0.5 gl-go/1.22.5 gccl/1.43.0"
	case 1:
		return "gl-python/3.11.9 grpc/1.66.1 gax/2.19.2 gapic/2.18.4 gccl/2.18.4"
	}
	return "gl-java/17.0.12 gdcl/2.42.0 linux/6.1.100"
}

func gcpTerraformUA() string {
	return "google-api-go-client/0.5 Terraform/1.9.8 (+https://www.terraform.io) Terraform-Plugin-SDK/2.33.0 terraform-provider-google/6.12.0"
}

func wifSubject(p *project, rp *repo) string {
	return "principal://iam.googleapis.com/projects/" + p.number + "/locations/global/workloadIdentityPools/github/subject/repo:" + rp.name + ":ref:refs/heads/main"
}

func saKeyName(sa *serviceAccount, keyID string) string {
	return "//iam.googleapis.com/projects/" + sa.project.id + "/serviceAccounts/" + sa.email + "/keys/" + keyID
}
