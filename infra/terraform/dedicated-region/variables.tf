variable "region_id" {
  description = "The dedicated region's id (dr_…); resources are named after it."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,48}$", var.region_id))
    error_message = "region_id must be 1-48 letters, digits, _ or -."
  }
}

variable "tenant_id" {
  description = "The tenant the region belongs to (tags only)."
  type        = string
}

variable "location" {
  description = "The AWS region, e.g. eu-west-1. The caller's aws provider must be configured for it; it is checked."
  type        = string
}

variable "size" {
  description = "small, medium or large: instance classes and defaults of the sizing variables below."
  type        = string
  default     = "small"
  validation {
    condition     = contains(["small", "medium", "large"], var.size)
    error_message = "size must be small, medium or large."
  }
}

variable "data_plane_id" {
  description = "The data-plane id the control plane created; the enrolled agent takes this identity."
  type        = string
}

variable "control_plane_url" {
  description = "The control plane's public URL the agent connects out to."
  type        = string
  validation {
    condition     = can(regex("^https?://", var.control_plane_url))
    error_message = "control_plane_url must be an http(s) URL."
  }
}

variable "enrollment_token" {
  description = "One-time enrollment token. Pass it as TF_VAR_enrollment_token, never in a file under version control. Only the first apply needs it; later applies keep the stored one when it is empty."
  type        = string
  sensitive   = true
  default     = ""
}

variable "image" {
  description = "The data-plane image (infra/docker/dataplane.Dockerfile), e.g. ghcr.io/orvanta/dataplane:0.1.0."
  type        = string
}

variable "eks_cluster_name" {
  description = "Existing EKS cluster the data plane runs in; its VPC, subnets and cluster security group host the database and Redis."
  type        = string
}

variable "chart_path" {
  description = "Path of the data-plane Helm chart (infra/helm/orvanta-dataplane)."
  type        = string
  default     = null
}

variable "public_url" {
  description = "Where browsers reach the data plane's ingress, e.g. https://dr-1.dp.example.com. With ingress_class_name an Ingress serves it; otherwise point its DNS name at the load_balancer_hostname output."
  type        = string
  default     = null
}

variable "ingress_class_name" {
  description = "IngressClass for public_url (e.g. alb or nginx). Null: the ingress Service is a LoadBalancer."
  type        = string
  default     = null
}

variable "ingress_annotations" {
  description = "Annotations of the Ingress (certificates, ALB settings)."
  type        = map(string)
  default     = {}
}

variable "workers" {
  description = "Minimum worker pods (SIZES.workers); null: the size's default."
  type        = number
  default     = null
}

variable "worker_concurrency" {
  description = "Jobs per worker process (SIZES.workerConcurrency); null: the size's default."
  type        = number
  default     = null
}

variable "cpu" {
  description = "CPU request per data-plane pod (SIZES.cpu); null: the size's default."
  type        = string
  default     = null
}

variable "memory" {
  description = "Memory request and limit per data-plane pod (SIZES.memory); null: the size's default."
  type        = string
  default     = null
}

variable "database_storage_gb" {
  description = "RDS allocated storage in GB (SIZES.databaseStorageGb); null: the size's default."
  type        = number
  default     = null
}

variable "autoscaling_mode" {
  description = "hpa (External metric orvanta_queue_depth, needs a metrics adapter), keda (needs KEDA) or none."
  type        = string
  default     = "hpa"
  validation {
    condition     = contains(["hpa", "keda", "none"], var.autoscaling_mode)
    error_message = "autoscaling_mode must be hpa, keda or none."
  }
}

variable "deletion_protection" {
  description = "Protect the database from deletion. Decommissioning then needs it turned off first."
  type        = bool
  default     = false
}

variable "final_snapshot" {
  description = "Take a final RDS snapshot when the region is destroyed."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags on every AWS resource."
  type        = map(string)
  default     = {}
}
