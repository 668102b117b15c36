#!/usr/bin/env bash
# The article's workflow with the berth CLI, command for command (`az` replaced by `berth`).
# Needs a running Berth (`berth up`; BERTH_HOME if not ~/.berth) and kubectl. KUBECONFIG selects the kubeconfig to write.
set -euo pipefail
berth() { ${BERTH_BIN:-npx --no-install berth} "$@"; }
export KUBECONFIG="${KUBECONFIG:-$HOME/.kube/config}"

# Prerequisites: a resource group and a workspace, and defaults so -g/-w can be left out.
berth group create -n myresourcegroup -l westus -o none
berth ml workspace create -w myworkspace -g myresourcegroup -o none
berth configure --defaults group=myresourcegroup workspace=myworkspace

# Kubernetes versions: all of them, then just the default one.
berth aks get-versions -l westus -o table
berth aks get-versions -l westus --query "orchestrators[?default == \`true\`].orchestratorVersion" -o table

# Create a cluster from the workspace (defaults: 3 x Standard_D3_v2, FastProd).
berth ml computetarget create aks -n myaks -o table

# Attach an existing cluster: create one outside the workspace, get its id, attach it.
berth aks create -g myresourcegroup -n myexistingcluster --node-count 3 --node-vm-size Standard_D3_v2 -o none
AKS_ID=$(berth aks show -n myexistingcluster -g myresourcegroup --query id -o tsv)
berth ml computetarget attach aks -n attachedaks -i "$AKS_ID" -g myresourcegroup -w myworkspace -o table

# Internal load balancer on the attached cluster, by update; scale the created one.
berth ml computetarget update aks -n attachedaks --load-balancer-type InternalLoadBalancer --load-balancer-subnet default -o table
berth ml computetarget scale -n myaks --node-count 4 -o table

# TLS with a generated certificate, then read it back from the cluster as the article's troubleshooting does.
berth ml computetarget create aks -n tlsaks --ssl-leaf-domain-label contoso -o table
berth ml computetarget get-credentials -n tlsaks
kubectl get secret/azuremlfessl -n azureml -o yaml

# The cluster's own credentials, as `az aks get-credentials`.
berth aks get-credentials -g myresourcegroup -n myexistingcluster

# Detach: the compute and Berth's objects go, the cluster stays.
berth ml computetarget detach -n attachedaks -g myresourcegroup -w myworkspace
berth aks show -n myexistingcluster -g myresourcegroup --query properties.provisioningState -o tsv
berth ml computetarget list -o table
