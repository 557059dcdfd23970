locals {
  lb_ingress             = try(data.kubernetes_service_v1.ingress.status[0].load_balancer[0].ingress[0], {})
  load_balancer_hostname = try(coalesce(lookup(local.lb_ingress, "hostname", null), lookup(local.lb_ingress, "ip", null)), "")
}

output "public_url" {
  description = "Where browsers reach the data plane's ingress: public_url, else the load balancer's address."
  value       = var.public_url != null ? var.public_url : (local.load_balancer_hostname == "" ? "" : "http://${local.load_balancer_hostname}")
}

output "load_balancer_hostname" {
  description = "The ingress load balancer's DNS name (empty with an Ingress): point public_url's DNS record here."
  value       = local.load_balancer_hostname
}

output "namespace" {
  description = "Kubernetes namespace of the data plane."
  value       = kubernetes_namespace_v1.this.metadata[0].name
}

output "helm_release" {
  description = "Helm release name."
  value       = helm_release.dataplane.name
}

output "db_instance_id" {
  description = "RDS instance identifier."
  value       = aws_db_instance.this.identifier
}

output "db_endpoint" {
  description = "RDS endpoint (host:port)."
  value       = aws_db_instance.this.endpoint
}

output "redis_replication_group_id" {
  description = "ElastiCache replication group id."
  value       = aws_elasticache_replication_group.this.id
}

output "security_group_id" {
  description = "Security group guarding Postgres and Redis."
  value       = aws_security_group.data.id
}
