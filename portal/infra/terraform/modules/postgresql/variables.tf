variable "name" {
  type        = string
  description = "The resource's name; unique in the account."
}

variable "environment" {
  type        = string
  description = "The portal environment (dev, staging, prod, ...)."
}

variable "connection_secret_path" {
  type        = string
  description = "Secret store path the module writes the connection details to."
}

variable "size" {
  type        = string
  description = "Size class: CPU, memory and storage tier."
}

variable "engine_version" {
  type        = string
  description = "PostgreSQL major version."
}

variable "storage_gb" {
  type        = number
  description = "Disk size."
}

variable "backup" {
  type        = bool
  description = "Take daily backups (snapshots) kept for retention_days."
}

variable "retention_days" {
  type        = number
  description = "Days backups or data are kept."
}

variable "high_availability" {
  type        = bool
  description = "Replicas in a second zone with automatic failover."
}

variable "tags" {
  type        = map(string)
  description = "Labels for cost allocation and ownership (the five standard keys)."
}
