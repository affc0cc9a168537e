import { describe, expect, it } from "vitest";
import { istioInjected, podSecurityFindings, podSecurityIssues, podSecurityViolations, type PodSpec } from "../../infra/kube/pod-security";

const restrictedPod: PodSpec = {
  securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
  containers: [{ name: "app", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
  volumes: [{ name: "data", persistentVolumeClaim: { claimName: "x" } }],
};

describe("Pod Security Standards", () => {
  it("admit a restricted-compatible pod at every level", () => {
    for (const level of ["privileged", "baseline", "restricted"] as const) expect(podSecurityViolations(restrictedPod, level)).toEqual([]);
  });

  it("refuse at restricted what baseline admits (escalation, root, no seccomp, capabilities)", () => {
    const pod: PodSpec = { containers: [{ name: "app", securityContext: { runAsUser: 0, capabilities: { add: ["CHOWN"] } } }] };
    expect(podSecurityViolations(pod, "baseline")).toEqual([]);
    const v = podSecurityViolations(pod, "restricted").join("\n");
    for (const why of ["allowPrivilegeEscalation != false", "runAsNonRoot != true", "runAsUser=0", "seccompProfile not RuntimeDefault", 'capabilities.drop must include "ALL"', "capabilities.add other than NET_BIND_SERVICE"]) {
      expect(v).toContain(why);
    }
  });

  it("refuse at baseline host namespaces, privileged containers, hostPath, hostPort and unsafe capabilities", () => {
    const pod: PodSpec = {
      hostNetwork: true,
      containers: [{ name: "agent", securityContext: { privileged: true, capabilities: { add: ["NET_ADMIN"] } }, ports: [{ hostPort: 9100 }] }],
      volumes: [{ name: "proc", hostPath: { path: "/proc" } }],
    };
    const v = podSecurityViolations(pod, "baseline").join("\n");
    for (const why of ["hostNetwork=true", "privileged", "non-default capabilities added", "hostPath volumes (proc)", "hostPort (agent)"]) expect(v).toContain(why);
  });

  it("check the pod as created: the injected sidecar passes restricted, istio-init without CNI does not", () => {
    const ns = { kind: "Namespace", apiVersion: "v1", metadata: { name: "apps", labels: { "pod-security.kubernetes.io/enforce": "restricted", "istio-injection": "enabled" } } };
    const deployment = { kind: "Deployment", apiVersion: "apps/v1", metadata: { name: "web", namespace: "apps" }, spec: { template: { metadata: {}, spec: restrictedPod } } };
    const objects = [{ object: ns }, { object: deployment }];
    expect(podSecurityIssues(objects, { istioCni: true })).toEqual([]);
    const [issue] = podSecurityIssues(objects, { istioCni: false });
    expect(issue.object).toBe("Deployment apps/web");
    expect(issue.violations.join("\n")).toContain('initContainer "istio-init"');
    expect(istioInjected(false).initContainers[0].securityContext?.capabilities?.add).toEqual(["NET_ADMIN", "NET_RAW"]);
    // An opted-out pod gets no sidecar.
    const optedOut = { ...deployment, spec: { template: { metadata: { labels: { "sidecar.istio.io/inject": "false" } }, spec: restrictedPod } } };
    expect(podSecurityIssues([{ object: ns }, { object: optedOut }], { istioCni: false })).toEqual([]);
  });

  it("locate each finding at its property: ephemeral containers and AppArmor annotations included", () => {
    const pod: PodSpec = { ...restrictedPod, ephemeralContainers: [{ name: "debug", securityContext: { privileged: true } }] };
    const annotations = { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" };
    const found = podSecurityFindings(pod, "baseline", annotations);
    expect(found.map((f) => [f.path, f.onMetadata === true])).toEqual([
      ["ephemeralContainers[0].securityContext.privileged", false],
      ['annotations["container.apparmor.security.beta.kubernetes.io/app"]', true],
    ]);
    expect(podSecurityViolations(pod, "baseline", annotations).join("\n")).toMatch(/privileged \(ephemeralContainer "debug"\)[\s\S]*apparmor.*=unconfined/);
    expect(podSecurityFindings(restrictedPod, "restricted", { "container.apparmor.security.beta.kubernetes.io/app": "runtime/default" })).toEqual([]);
  });
});
