# One dedicated Orvanta region on AWS: its own RDS Postgres and ElastiCache Redis, and the
# data-plane Helm chart (infra/helm/orvanta-dataplane) installed into an existing EKS
# cluster in a namespace of its own. The caller configures the aws, kubernetes and helm
# providers (see README.md); the control plane's terraform driver writes such a root.

locals {
  sizes = {
    small  = { db_class = "db.t4g.small", cache_class = "cache.t4g.small", workers = 1, worker_concurrency = 8, cpu = "1", memory = "2Gi", database_storage_gb = 20 }
    medium = { db_class = "db.m7g.large", cache_class = "cache.m7g.large", workers = 2, worker_concurrency = 16, cpu = "2", memory = "4Gi", database_storage_gb = 100 }
    large  = { db_class = "db.m7g.xlarge", cache_class = "cache.m7g.xlarge", workers = 4, worker_concurrency = 32, cpu = "4", memory = "8Gi", database_storage_gb = 500 }
  }
  size = local.sizes[var.size]

  workers             = coalesce(var.workers, local.size.workers)
  worker_concurrency  = coalesce(var.worker_concurrency, local.size.worker_concurrency)
  cpu                 = coalesce(var.cpu, local.size.cpu)
  memory              = coalesce(var.memory, local.size.memory)
  database_storage_gb = coalesce(var.database_storage_gb, local.size.database_storage_gb)

  # DNS-safe names: dr_01ABC -> dr-01abc.
  label     = trim(substr(replace(lower(var.region_id), "/[^a-z0-9-]+/", "-"), 0, 48), "-")
  namespace = "orvanta-${local.label}"
  # ElastiCache ids are at most 40 characters; a hash keeps them unique.
  short_id   = "orv-${substr(md5(var.region_id), 0, 16)}"
  chart_path = coalesce(var.chart_path, "${path.module}/../../helm/orvanta-dataplane")

  tags = merge(var.tags, {
    "orvanta:region-id" = var.region_id
    "orvanta:tenant-id" = var.tenant_id
    "orvanta:managed"   = "terraform"
  })

  resources = {
    requests = { cpu = local.cpu, memory = local.memory }
    limits   = { memory = local.memory }
  }
  use_ingress = var.public_url != null && var.ingress_class_name != null
}

data "aws_region" "current" {}

data "aws_eks_cluster" "this" {
  name = var.eks_cluster_name
}

resource "terraform_data" "location_check" {
  input = var.location
  lifecycle {
    precondition {
      condition     = data.aws_region.current.name == var.location
      error_message = "The aws provider is configured for ${data.aws_region.current.name}, but location is ${var.location}."
    }
  }
}

# ---------------------------------------------------------------- network access

resource "aws_security_group" "data" {
  name        = "${local.namespace}-data"
  description = "Orvanta ${var.region_id}: Postgres and Redis, reachable from the EKS cluster only"
  vpc_id      = data.aws_eks_cluster.this.vpc_config[0].vpc_id
  tags        = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "postgres" {
  security_group_id            = aws_security_group.data.id
  referenced_security_group_id = data.aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  description                  = "Postgres from EKS pods"
}

resource "aws_vpc_security_group_ingress_rule" "redis" {
  security_group_id            = aws_security_group.data.id
  referenced_security_group_id = data.aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  description                  = "Redis from EKS pods"
}

# ---------------------------------------------------------------- Postgres

resource "random_password" "database" {
  length  = 32
  special = false
}

resource "aws_db_subnet_group" "this" {
  name       = local.namespace
  subnet_ids = data.aws_eks_cluster.this.vpc_config[0].subnet_ids
  tags       = local.tags
}

resource "aws_db_instance" "this" {
  identifier                 = local.namespace
  engine                     = "postgres"
  engine_version             = "16"
  instance_class             = local.size.db_class
  allocated_storage          = local.database_storage_gb
  max_allocated_storage      = local.database_storage_gb * 2
  storage_type               = "gp3"
  storage_encrypted          = true
  db_name                    = "orvanta"
  username                   = "orvanta"
  password                   = random_password.database.result
  db_subnet_group_name       = aws_db_subnet_group.this.name
  vpc_security_group_ids     = [aws_security_group.data.id]
  publicly_accessible        = false
  multi_az                   = var.size != "small"
  backup_retention_period    = 7
  auto_minor_version_upgrade = true
  deletion_protection        = var.deletion_protection
  skip_final_snapshot        = !var.final_snapshot
  final_snapshot_identifier  = var.final_snapshot ? "${local.namespace}-final" : null
  apply_immediately          = true
  tags                       = local.tags
}

# ---------------------------------------------------------------- Redis

resource "random_password" "redis" {
  length  = 32
  special = false
}

resource "aws_elasticache_subnet_group" "this" {
  name       = local.short_id
  subnet_ids = data.aws_eks_cluster.this.vpc_config[0].subnet_ids
  tags       = local.tags
}

resource "aws_elasticache_parameter_group" "this" {
  name   = local.short_id
  family = "redis7"
  # BullMQ needs every key kept: Redis must refuse writes rather than evict.
  parameter {
    name  = "maxmemory-policy"
    value = "noeviction"
  }
  tags = local.tags
}

resource "aws_elasticache_replication_group" "this" {
  replication_group_id       = local.short_id
  description                = "Orvanta ${var.region_id} queues"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = local.size.cache_class
  num_cache_clusters         = var.size == "small" ? 1 : 2
  automatic_failover_enabled = var.size != "small"
  parameter_group_name       = aws_elasticache_parameter_group.this.name
  subnet_group_name          = aws_elasticache_subnet_group.this.name
  security_group_ids         = [aws_security_group.data.id]
  port                       = 6379
  at_rest_encryption_enabled = true
  transit_encryption_enabled = true
  auth_token                 = random_password.redis.result
  apply_immediately          = true
  tags                       = local.tags
}

# ---------------------------------------------------------------- the data plane

resource "random_password" "secrets_key" {
  length  = 48
  special = false
}

resource "kubernetes_namespace_v1" "this" {
  metadata {
    name = local.namespace
    labels = {
      "app.kubernetes.io/part-of"    = "orvanta"
      "app.kubernetes.io/managed-by" = "terraform"
      "orvanta.dev/region-id"        = local.label
    }
  }
}

# The chart reads its secrets from this Secret (secrets.existingSecret), so none of them
# are in the Helm release's values.
resource "kubernetes_secret_v1" "dataplane" {
  metadata {
    name      = "dataplane-env"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
  }
  data = {
    ENROLLMENT_TOKEN = var.enrollment_token
    DATABASE_URL     = "postgresql://orvanta:${random_password.database.result}@${aws_db_instance.this.address}:${aws_db_instance.this.port}/orvanta?sslmode=require"
    REDIS_URL        = "rediss://:${random_password.redis.result}@${aws_elasticache_replication_group.this.primary_endpoint_address}:6379/0"
    SECRETS_KEY      = random_password.secrets_key.result
  }
  # The token is one-time: once the agent has enrolled, an apply without it keeps the old value.
  lifecycle {
    ignore_changes = [data["ENROLLMENT_TOKEN"]]
  }
}

resource "helm_release" "dataplane" {
  name             = "dataplane"
  chart            = local.chart_path
  namespace        = kubernetes_namespace_v1.this.metadata[0].name
  create_namespace = false
  wait             = true
  timeout          = 900

  values = [yamlencode({
    controlPlaneUrl = var.control_plane_url
    publicUrl       = var.public_url == null ? "" : var.public_url
    dataPlaneId     = var.data_plane_id
    image           = { reference = var.image }
    secrets         = { existingSecret = kubernetes_secret_v1.dataplane.metadata[0].name }
    main            = { workerConcurrency = local.worker_concurrency, resources = local.resources }
    worker          = { replicas = local.workers, workerConcurrency = local.worker_concurrency, resources = local.resources }
    service = {
      type = local.use_ingress ? "ClusterIP" : "LoadBalancer"
      annotations = local.use_ingress ? {} : {
        "service.beta.kubernetes.io/aws-load-balancer-type"   = "nlb"
        "service.beta.kubernetes.io/aws-load-balancer-scheme" = "internet-facing"
      }
    }
    ingress = {
      enabled     = local.use_ingress
      className   = var.ingress_class_name == null ? "" : var.ingress_class_name
      host        = local.use_ingress ? regex("^https?://([^/:]+)", var.public_url)[0] : ""
      annotations = var.ingress_annotations
    }
    autoscaling = {
      enabled     = var.autoscaling_mode != "none"
      mode        = var.autoscaling_mode == "keda" ? "keda" : "hpa"
      minReplicas = local.workers
      maxReplicas = local.workers * 4
    }
  })]

  depends_on = [terraform_data.location_check, aws_vpc_security_group_ingress_rule.postgres, aws_vpc_security_group_ingress_rule.redis]
}

data "kubernetes_service_v1" "ingress" {
  metadata {
    name      = "dataplane"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
  }
  depends_on = [helm_release.dataplane]
}
