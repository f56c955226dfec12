package generate

import "strconv"

var firstNames = []string{
	"Ada", "Alan", "Amara", "Ana", "Arjun", "Ayesha", "Bruno", "Chen", "Chioma", "Clara",
	"Dario", "Diego", "Elena", "Emeka", "Farah", "Felix", "Grace", "Hana", "Ines", "Ivan",
	"Jonas", "Julia", "Kenji", "Lara", "Leila", "Lucas", "Maya", "Mei", "Nadia", "Nikolai",
	"Omar", "Priya", "Rafael", "Rosa", "Sana", "Sofia", "Tariq", "Tomas", "Yara", "Zoe",
}

var lastNames = []string{
	"Abara", "Andersen", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
	"Jensen", "Kowalski", "Kumar", "Larsen", "Moreau", "Nakamura", "Novak", "Okafor", "Olsen", "Park",
	"Petrov", "Quinn", "Rossi", "Santos", "Schmidt", "Silva", "Tanaka", "Torres", "Varga", "Wang",
}

// serviceNames become the friendly aliases of systems ("payments").
var serviceNames = []string{
	"payments", "billing", "checkout", "catalog", "search", "inventory", "orders", "shipping",
	"auth", "sso", "ldap", "vpn", "dns", "email", "chat", "wiki", "crm", "erp", "hr-portal",
	"intranet", "file-share", "print", "kafka", "postgres-main", "warehouse", "reporting",
	"pricing", "notifications", "mobile-api", "web-frontend", "gateway", "telephony",
}

var programNames = []string{
	"checkout", "logistics", "workplace", "data-platform", "identity", "finance", "customer-care",
	"infrastructure",
}

// teamNames starts with the four teams the generated incident process is
// scoped to.
var teamNames = []string{
	"service-desk", "messaging", "engineering", "end-user-support", "network", "database",
	"platform", "security", "data", "identity-ops",
}

// nth returns list[i], or a numbered fallback past its end so every count
// gets distinct names.
func nth(list []string, i int, fallback string) string {
	if i < len(list) {
		return list[i]
	}
	return fallback + "-" + strconv.Itoa(i+1)
}
