# Sourced by the benchmarks that need guests at many addresses.
# mkns NET K N makes network namespace $ns-K, joined to this one by a veth
# pair ($hif$K here, $gif$K there): this side NET.K.1, the namespace NET.K.2
# to NET.K.(N+1). The caller sets ns, hif and gif, and removes what the
# arrays nss (namespaces) and ifs (interfaces) list when it ends.
mkns() {
	local net=$1 k=$2 count=$3 n=$ns-$2 h=$hif$2 g=$gif$2 i
	ip netns add "$n"
	nss+=("$n")
	ip link add "$h" type veth peer name "$g"
	ifs+=("$h")
	ip link set "$g" netns "$n"
	ip addr add "$net.$k.1/24" dev "$h"
	ip link set "$h" up
	ip netns exec "$n" ip link set lo up
	ip netns exec "$n" ip link set "$g" up
	for i in $(seq 2 $((count + 1))); do ip netns exec "$n" ip addr add "$net.$k.$i/24" dev "$g"; done
}
