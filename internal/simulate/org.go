package simulate

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The modelled organisation: Example Corp, with AWS accounts, an Entra ID
// tenant and GCP projects, the people who work there and the machines that
// run its software. Everything is derived from the seed and the sizes.

const (
	orgDomain = "corp.example.com"
	ghOrg     = "exampleco"
	// Accounts outside the organisation.
	attackerAccount = "666666666666"
	vendorAccount   = "555555555555"
)

type account struct {
	idx      int
	id       string
	name     string
	regions  []string // primary first
	vpc      int      // second octet of the account's 10.x.0.0/16
	vpce     string
	buckets  []string
	secrets  []string // ARNs
	params   []string
	kmsKeys  []string
	tables   []string
	funcs    []string
	logs     []string
	ecr      []string
	clusters []string
	sgs      []string
	vpcs     []string
	subnets  []string
	amis     []string

	samlProvider string
	oidcProvider string
	ssoRoles     map[string]*role // by permission: Developer, Admin, ReadOnly
	ciRole       *role
	adminRole    *role // OrganizationAccountAccessRole
	vendorRole   *role
	configRole   *role
	workloads    []*role
	users        []*iamUser // service and legacy human users
	instances    []*instance
}

type role struct {
	name string
	arn  string
	id   string // AROA…
	acct *account
}

type iamUser struct {
	name  string
	arn   string
	id    string // AIDA…
	key   string // AKIA…
	acct  *account
	human *human
}

type instance struct {
	idx    int
	id     string
	acct   *account
	region string
	zone   string
	role   *role
	ip     string
	ua     string // SDK user agent
	app    string
	web    bool // behind the edge proxy
}

type humanKind int

const (
	kindDeveloper humanKind = iota
	kindAdmin
	kindData
	kindReadOnly
)

type human struct {
	idx       int
	first     string
	last      string
	display   string
	upn       string
	entraID   string
	tzName    string
	tzOffset  int     // minutes east of UTC
	workStart float64 // local hour
	workLen   float64 // hours
	home      *network
	homeIP    string
	homeV6    bool
	mobile    *network
	mobileIP  string
	office    *network // nil: works remotely
	vpn       bool     // uses the corporate VPN some days
	kind      humanKind
	accounts  []*account
	iam       *iamUser // legacy IAM user with a long-term key (admins)
	cliUA     string
	browserUA string
	os        string
	browser   string
	deviceID  string
	phoneID   string
	projects  []*project
}

type repo struct {
	idx       int
	name      string
	acct      *account
	region    string
	terraform bool
	jobsDay   float64 // jobs per working day
	project   *project
}

type project struct {
	id      string
	number  string
	region  string
	sas     []*serviceAccount // workload service accounts
	compute *serviceAccount   // the default compute service account
	ci      *serviceAccount
	admin   *serviceAccount // a privileged one (scenarios)
	buckets []string
	secrets []string
	vms     []*gceVM
}

type serviceAccount struct {
	email    string
	uniqueID string
	project  *project
}

type gceVM struct {
	name string
	id   string
	zone string
	sa   *serviceAccount
	ip   string
}

type entraApp struct {
	name        string
	id          string
	resource    string
	resourceID  string
	client      string // ClientAppUsed
	interactive bool   // signed into interactively (else only refreshed)
	mobile      bool
}

type org struct {
	accounts  []*account
	humans    []*human
	instances []*instance
	repos     []*repo
	projects  []*project
	tenantID  string
	apps      []*entraApp
	awsApp    *entraApp
	vendorIPs []string
	webHost   string
}

// OrgSize sets the size of the modelled organisation. Zero fields are
// derived from the event rate.
type OrgSize struct {
	Accounts  int `json:"accounts"`  // AWS accounts
	Humans    int `json:"humans"`    // people (Entra users, federated into AWS, GCP users)
	Instances int `json:"instances"` // EC2 instances with instance profiles
	Repos     int `json:"repos"`     // CI repositories
	Projects  int `json:"projects"`  // GCP projects
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// deriveSize fills the zero fields of s from the CloudTrail event rate.
func deriveSize(s OrgSize, perHour float64) OrgSize {
	if s.Humans == 0 {
		s.Humans = clamp(int(perHour/300), 6, 3000)
	}
	if s.Instances == 0 {
		s.Instances = clamp(int(perHour/150), 4, 6000)
	}
	if s.Accounts == 0 {
		s.Accounts = clamp(3+s.Humans/60, 3, 40)
	}
	if s.Repos == 0 {
		s.Repos = clamp(s.Humans/10, 2, 300)
	}
	if s.Projects == 0 {
		s.Projects = clamp(1+s.Humans/50, 2, 30)
	}
	return s
}

var (
	firstNames   = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yara", "zoe", "amir", "bea", "chen", "dara", "emeka", "farah", "goran", "hana", "ines", "jonas", "kavya", "lars", "mei", "nora", "omar", "priya", "quinn", "rosa", "sven", "tomas", "uma", "vera", "wei", "xavier", "yusuf", "zara", "anil"}
	lastNames    = []string{"smith", "jones", "garcia", "muller", "schmidt", "patel", "kim", "nguyen", "brown", "wilson", "taylor", "moore", "martin", "lee", "walker", "hall", "young", "king", "wright", "lopez", "hill", "scott", "green", "adams", "baker", "nelson", "carter", "mitchell", "perez", "roberts", "turner", "phillips", "campbell", "parker", "evans", "edwards", "collins", "stewart", "morris", "rogers", "reed", "cook", "morgan", "bell", "murphy", "bailey", "rivera", "cooper"}
	accountNames = []string{"security", "prod", "staging", "dev", "shared-services", "data", "sandbox", "analytics", "payments", "ml"}
	accountIDs   = []string{"111122223333", "444455556666", "777788889999", "123456789012", "210987654321"}
	appNames     = []string{"checkout", "catalog", "orders", "billing", "search", "auth", "reports", "ingest", "notifier", "ledger", "pricing", "inventory"}
	regionsAll   = []string{"us-east-1", "eu-west-1", "us-west-2", "eu-central-1"}
)

const apiPlaceholder = "{service}"

// apiUA fills in the service of an SDK user agent that names it per call.
func apiUA(ua string, op *awsOp) string {
	if !strings.Contains(ua, apiPlaceholder) {
		return ua
	}
	return strings.Replace(ua, apiPlaceholder, strings.TrimSuffix(op.source, ".amazonaws.com"), 1)
}

type tzInfo struct {
	name    string
	offset  int // minutes
	country string
	share   float64
}

var timeZones = []tzInfo{
	{"America/New_York", -300, "US", 0.35},
	{"America/Los_Angeles", -480, "US", 0.20},
	{"Europe/Berlin", 60, "DE", 0.25},
	{"Europe/London", 0, "GB", 0.10},
	{"Asia/Kolkata", 330, "IN", 0.10},
}

var (
	cliVersions   = []string{"2.15.30", "2.17.18", "2.22.4", "2.24.10"}
	botoVersions  = []string{"1.34.69", "1.35.24", "1.35.76"}
	goSDKVersions = []string{"1.26.1", "1.30.3", "1.32.6"}
	javaVersions  = []string{"2.25.16", "2.28.11", "2.29.29"}
	tfVersions    = []string{"1.7.5", "1.9.8", "1.10.2"}
	tfAWSVersions = []string{"5.44.0", "5.72.1", "5.82.2"}
)

func cliUA(r *rand.Rand, osName string) string {
	v := pick(r, cliVersions)
	switch osName {
	case "macOS":
		return "aws-cli/" + v + " md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off"
	case "Windows":
		return "aws-cli/" + v + " md/awscrt#0.19.19 ua/2.0 os/windows#10 md/arch#amd64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off"
	}
	return "aws-cli/" + v + " md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-41-generic md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off"
}

func browserUA(osName string) string {
	switch osName {
	case "macOS":
		return "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	case "Windows":
		return "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
	}
	return "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
}

func sdkUA(r *rand.Rand, service string) string {
	switch r.IntN(4) {
	case 0:
		v := pick(r, botoVersions)
		return "Boto3/" + v + " md/Botocore#" + v + " ua/2.0 os/linux#5.10.226-214.880.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/" + v
	case 1:
		return "aws-sdk-go-v2/" + pick(r, goSDKVersions) + " os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/" + service + "#1.28.6"
	case 3:
		// The service is filled in per call (see apiUA).
		return "aws-sdk-go-v2/" + pick(r, goSDKVersions) + " os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/" + apiPlaceholder + "#1.28.6"
	}
	return "aws-sdk-java/" + pick(r, javaVersions) + " Linux/5.10.226-214.880.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.12+7-LTS Java/17.0.12 vendor/Amazon.com_Inc. md/internal io/sync http/Apache cfg/retry-mode/legacy"
}

func terraformUA(r *rand.Rand, api string) string {
	return "APN/1.0 HashiCorp/1.0 Terraform/" + pick(r, tfVersions) + " (+https://www.terraform.io) terraform-provider-aws/" + pick(r, tfAWSVersions) + " (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.3 ua/2.0 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/" + api + "#1.34.2"
}

func digits(r *rand.Rand, n int) string { return randChars(r, "0123456789", n) }

// buildOrg creates the organisation for a seed and size.
func buildOrg(seed uint64, size OrgSize) *org {
	r := derive(seed, tagOrg)
	o := &org{tenantID: uuid(r), webHost: "shop.example.com"}

	for i := 0; i < size.Accounts; i++ {
		a := &account{idx: i, vpc: 16 + i%200}
		if i < len(accountIDs) {
			a.id = accountIDs[i]
		} else {
			a.id = "10" + digits(r, 10)
		}
		if i < len(accountNames) {
			a.name = accountNames[i]
		} else {
			a.name = fmt.Sprintf("workload-%02d", i)
		}
		primary := regionsAll[0]
		if i > 0 {
			primary = regionsAll[r.IntN(len(regionsAll))]
		}
		a.regions = []string{primary}
		if primary != "us-east-1" {
			a.regions = append(a.regions, "us-east-1")
		}
		a.vpce = "vpce-0" + randChars(r, hexLower, 16)
		pfx := "examplecorp-" + a.name
		a.buckets = []string{pfx + "-artifacts-" + a.id, pfx + "-logs-" + a.id, pfx + "-data-" + a.id, pfx + "-backups-" + a.id}
		for _, app := range appNames[:4+r.IntN(4)] {
			a.secrets = append(a.secrets, "arn:aws:secretsmanager:"+primary+":"+a.id+":secret:"+a.name+"/"+app+"/db-credentials-"+randChars(r, mixedAlnum, 6))
			a.params = append(a.params, "/"+a.name+"/"+app+"/api-key")
			a.tables = append(a.tables, a.name+"-"+app)
			a.funcs = append(a.funcs, a.name+"-"+app+"-worker")
			a.logs = append(a.logs, "/aws/lambda/"+a.name+"-"+app+"-worker")
			a.ecr = append(a.ecr, ghOrg+"/"+app)
		}
		for k := 0; k < 3; k++ {
			a.kmsKeys = append(a.kmsKeys, uuid(r))
			a.sgs = append(a.sgs, "sg-0"+randChars(r, hexLower, 16))
			a.subnets = append(a.subnets, "subnet-0"+randChars(r, hexLower, 16))
			a.amis = append(a.amis, "ami-0"+randChars(r, hexLower, 16))
		}
		a.vpcs = []string{"vpc-0" + randChars(r, hexLower, 16)}
		a.clusters = []string{a.name + "-cluster"}
		a.samlProvider = "arn:aws:iam::" + a.id + ":saml-provider/EntraID"
		a.oidcProvider = "arn:aws:iam::" + a.id + ":oidc-provider/token.actions.githubusercontent.com"
		mk := func(name string) *role {
			return &role{name: name, arn: "arn:aws:iam::" + a.id + ":role/" + name, id: uniqueID(r, "AROA"), acct: a}
		}
		a.ssoRoles = map[string]*role{"Developer": mk("EntraID-Developer"), "Admin": mk("EntraID-Admin"), "ReadOnly": mk("EntraID-ReadOnly"), "Data": mk("EntraID-DataAnalyst")}
		a.ciRole = mk("github-deploy")
		a.adminRole = mk("OrganizationAccountAccessRole")
		a.vendorRole = mk("ExampleMonitoringReadOnly")
		a.configRole = &role{name: "AWSServiceRoleForConfig", arn: "arn:aws:iam::" + a.id + ":role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig", id: uniqueID(r, "AROA"), acct: a}
		for _, app := range appNames[:3+r.IntN(4)] {
			a.workloads = append(a.workloads, mk(a.name+"-"+app+"-instance-role"))
		}
		for _, svc := range []string{"backup-svc", "metrics-exporter"} {
			a.users = append(a.users, &iamUser{name: svc, arn: "arn:aws:iam::" + a.id + ":user/" + svc, id: uniqueID(r, "AIDA"), key: accessKeyID(r, "AKIA"), acct: a})
		}
		o.accounts = append(o.accounts, a)
	}

	for i := 0; i < size.Instances; i++ {
		a := o.accounts[(i*7+i/3)%len(o.accounts)]
		if len(o.accounts) > 1 && a.name == "security" && i%2 == 0 {
			a = o.accounts[1+i%(len(o.accounts)-1)]
		}
		rl := a.workloads[r.IntN(len(a.workloads))]
		region := a.regions[0]
		app := strings.TrimSuffix(strings.TrimPrefix(rl.name, a.name+"-"), "-instance-role")
		svc := pick(r, []string{"secretsmanager", "s3", "dynamodb", "ssm", "kms"})
		in := &instance{idx: i, id: "i-0" + randChars(r, hexLower, 16), acct: a, region: region, zone: region + string(rune('a'+r.IntN(3))), role: rl, ip: privateAddr(r, a.vpc), ua: sdkUA(r, svc), app: app}
		a.instances = append(a.instances, in)
		o.instances = append(o.instances, in)
	}
	// The first instance of the first workload account serves the public
	// web shop behind the edge proxy.
	for _, in := range o.instances {
		if in.acct.name == "prod" || len(o.accounts) == 1 {
			in.web = true
			break
		}
	}
	if len(o.instances) > 0 {
		found := false
		for _, in := range o.instances {
			found = found || in.web
		}
		if !found {
			o.instances[0].web = true
		}
	}

	// GCP projects.
	for i := 0; i < size.Projects; i++ {
		env := []string{"prod", "staging", "data", "dev", "ml"}[i%5]
		p := &project{id: fmt.Sprintf("examplecorp-%s-%s", env, digits(r, 4)), number: "1" + digits(r, 11), region: pick(r, []string{"us-central1", "europe-west1", "us-east4"})}
		if i >= 5 {
			p.id = fmt.Sprintf("examplecorp-%s%d-%s", env, i/5, digits(r, 4))
		}
		mkSA := func(name string) *serviceAccount {
			return &serviceAccount{email: name + "@" + p.id + ".iam.gserviceaccount.com", uniqueID: "1" + digits(r, 20), project: p}
		}
		for _, app := range appNames[:2+r.IntN(3)] {
			p.sas = append(p.sas, mkSA(app+"-sa"))
		}
		p.compute = &serviceAccount{email: p.number + "-compute@developer.gserviceaccount.com", uniqueID: "1" + digits(r, 20), project: p}
		p.ci = mkSA("ci-deployer")
		p.admin = mkSA("platform-admin")
		p.buckets = []string{p.id + "-data", p.id + "-exports", p.id + "-tfstate"}
		p.secrets = []string{"db-password", "api-token", "stripe-key"}
		for k := 0; k < 2+r.IntN(4); k++ {
			sa := p.compute
			if k < len(p.sas) {
				sa = p.sas[k]
			}
			zone := p.region + "-" + string(rune('a'+r.IntN(3)))
			p.vms = append(p.vms, &gceVM{name: fmt.Sprintf("%s-vm-%d", strings.TrimSuffix(strings.SplitN(sa.email, "@", 2)[0], "-sa"), k), id: "7" + digits(r, 18), zone: zone, sa: sa, ip: privateAddr(r, 128+i%100)})
		}
		o.projects = append(o.projects, p)
	}

	// People.
	used := map[string]int{}
	for i := 0; i < size.Humans; i++ {
		h := &human{idx: i}
		h.first, h.last = pick(r, firstNames), pick(r, lastNames)
		base := h.first + "." + h.last
		used[base]++
		if n := used[base]; n > 1 {
			base = fmt.Sprintf("%s%d", base, n)
		}
		h.upn = base + "@" + orgDomain
		h.display = strings.ToUpper(h.first[:1]) + h.first[1:] + " " + strings.ToUpper(h.last[:1]) + h.last[1:]
		h.entraID = uuid(r)
		x := r.Float64()
		tz := timeZones[len(timeZones)-1]
		for _, z := range timeZones {
			if x < z.share {
				tz = z
				break
			}
			x -= z.share
		}
		h.tzName, h.tzOffset = tz.name, tz.offset
		h.workStart = 7.5 + 2*r.Float64()
		h.workLen = 7 + 2.5*r.Float64()
		h.home = homeNetworkFor(tz.country)
		h.homeV6 = h.home.v6.IsValid() && chance(r, 0.25)
		h.homeIP = h.home.addr(r, h.homeV6)
		if tz.country == "DE" || tz.country == "GB" {
			h.mobile = networksOf(netMobile)[1]
		} else {
			h.mobile = networksOf(netMobile)[0]
		}
		h.mobileIP = h.mobile.addr(r, false)
		switch tz.name {
		case "America/New_York":
			if chance(r, 0.6) {
				h.office = networks[0]
			}
		case "Europe/Berlin":
			if chance(r, 0.6) {
				h.office = networks[1]
			}
		}
		h.vpn = chance(r, 0.35)
		switch {
		case i%12 == 0:
			h.kind = kindAdmin
		case i%7 == 3:
			h.kind = kindData
		case i%9 == 5:
			h.kind = kindReadOnly
		default:
			h.kind = kindDeveloper
		}
		h.os = pick(r, []string{"macOS", "macOS", "Windows", "Linux"})
		h.browser = map[string]string{"macOS": "Chrome 131.0.0", "Windows": "Edge 131.0.0", "Linux": "Firefox 133.0"}[h.os]
		h.cliUA = cliUA(r, h.os)
		h.browserUA = browserUA(h.os)
		h.deviceID = uuid(r)
		h.phoneID = uuid(r)
		n := 1 + r.IntN(3)
		if h.kind == kindAdmin {
			n = len(o.accounts)
		}
		for k := 0; k < n && k < len(o.accounts); k++ {
			h.accounts = append(h.accounts, o.accounts[(i+k)%len(o.accounts)])
		}
		if h.kind == kindAdmin {
			a := o.accounts[0]
			u := &iamUser{name: h.first + "." + h.last + "-admin", id: uniqueID(r, "AIDA"), key: accessKeyID(r, "AKIA"), acct: a, human: h}
			u.arn = "arn:aws:iam::" + a.id + ":user/" + u.name
			h.iam = u
			a.users = append(a.users, u)
		}
		for k := 0; k < 1+r.IntN(2) && k < len(o.projects); k++ {
			h.projects = append(h.projects, o.projects[(i+k)%len(o.projects)])
		}
		o.humans = append(o.humans, h)
	}

	for i := 0; i < size.Repos; i++ {
		name := appNames[i%len(appNames)]
		if i >= len(appNames) {
			name = fmt.Sprintf("%s-%d", name, i/len(appNames))
		}
		if i%5 == 4 {
			name = "infra-" + name
		}
		a := o.accounts[(1+i)%len(o.accounts)]
		rp := &repo{idx: i, name: ghOrg + "/" + name, acct: a, region: a.regions[0], terraform: strings.HasPrefix(name, "infra-") || i%3 == 0, jobsDay: 3 + 6*r.Float64()}
		if len(o.projects) > 0 && i%3 == 1 {
			rp.project = o.projects[i%len(o.projects)]
		}
		o.repos = append(o.repos, rp)
	}

	vendor := networksOf(netVendor)[0]
	for i := 0; i < 4; i++ {
		o.vendorIPs = append(o.vendorIPs, vendor.addr(r, false))
	}

	awsApp := &entraApp{name: "AWS Single-Account Access", id: uuid(r), resource: "AWS Single-Account Access", client: "Browser", interactive: true}
	awsApp.resourceID = awsApp.id
	o.awsApp = awsApp
	o.apps = []*entraApp{
		{name: "Microsoft Teams", id: "1fec8e78-bce4-4aaf-ab1b-5451cc387264", resource: "Microsoft Teams Services", resourceID: "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", client: "Mobile Apps and Desktop clients", interactive: true, mobile: true},
		{name: "Microsoft Office", id: "d3590ed6-52b3-4102-aeff-aad2292ab01c", resource: "Office 365 Exchange Online", resourceID: "00000002-0000-0ff1-ce00-000000000000", client: "Mobile Apps and Desktop clients", interactive: true},
		{name: "Outlook Mobile", id: "27922004-5251-4030-b22d-91ecd9a37ea4", resource: "Office 365 Exchange Online", resourceID: "00000002-0000-0ff1-ce00-000000000000", client: "Mobile Apps and Desktop clients", mobile: true},
		{name: "OneDrive SyncEngine", id: "ab9b8c07-8f02-4f72-87fa-80105867a763", resource: "Office 365 SharePoint Online", resourceID: "00000003-0000-0ff1-ce00-000000000000", client: "Mobile Apps and Desktop clients"},
		{name: "Microsoft Edge", id: "ecd6b820-32c2-49b6-98a6-444530e5a77a", resource: "Microsoft Graph", resourceID: "00000003-0000-0000-c000-000000000000", client: "Mobile Apps and Desktop clients"},
		{name: "Azure Portal", id: "c44b4083-3bb0-49c1-b47d-974e53cbdf3c", resource: "Windows Azure Service Management API", resourceID: "797f4846-ba00-4fd7-ba43-dac1f8f63013", client: "Browser", interactive: true},
		{name: "Microsoft Azure CLI", id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", resource: "Windows Azure Service Management API", resourceID: "797f4846-ba00-4fd7-ba43-dac1f8f63013", client: "Mobile Apps and Desktop clients"},
		{name: "GitHub Enterprise Cloud", id: uuid(r), resource: "GitHub Enterprise Cloud", client: "Browser", interactive: true},
		{name: "Slack", id: uuid(r), resource: "Slack", client: "Browser", interactive: true},
		awsApp,
	}
	for _, ap := range o.apps {
		if ap.resourceID == "" {
			ap.resourceID = ap.id
		}
	}
	return o
}

func (o *org) appNamed(name string) *entraApp {
	for _, a := range o.apps {
		if a.name == name {
			return a
		}
	}
	return o.apps[0]
}

// ssoRoleFor returns the Entra-federated role a person uses in an account.
func (h *human) ssoRoleFor(a *account) *role {
	switch h.kind {
	case kindAdmin:
		return a.ssoRoles["Admin"]
	case kindData:
		return a.ssoRoles["Data"]
	case kindReadOnly:
		return a.ssoRoles["ReadOnly"]
	}
	return a.ssoRoles["Developer"]
}

// localMidnight returns the UTC instant of local midnight of the given UTC
// day number (days since the Unix epoch) in h's zone.
func (h *human) localDayStartUnix(day int64) int64 {
	return day*86400 - int64(h.tzOffset)*60
}
